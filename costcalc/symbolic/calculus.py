"""Calculus on the closed forms: sensitivities and elasticities at a point, and budget roots.

The elasticity of MACs in x is (x / MACs) dMACs/dx: the percentage change of MACs per percent
change of x (2 for a cost quadratic in x). Budget roots solve ideal(x) = budget exactly: the
total with its Max/Min kept is split at the points where a Max/Min switches branch, and each
piece is a polynomial whose real roots sympy gives in closed form.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from costcalc.symbolic.derive import Model, choose_branches, evaluate, region_text, resolve_branches


@dataclass
class Sensitivity:
    """d(quantity)/d(symbol) as an expression, its value and the elasticity at the point."""

    quantity: str
    symbol: str
    derivative: Any
    value: Any
    elasticity: float | None


def sensitivities(model: Model) -> list[Sensitivity]:
    """Derivatives of the ideal MACs and params in each symbol, at the model's point."""
    import sympy

    result = []
    for quantity in ("macs", "params"):
        total = getattr(model, quantity)
        at_value = evaluate(total, model.at)
        for name, sym in model.symbols.items():
            derivative = sympy.expand(sympy.diff(total, sym))
            value = evaluate(derivative, model.at)
            elasticity = float(value * model.at[sym] / at_value) if at_value else None
            result.append(Sensitivity(quantity, name, derivative, value, elasticity))
    return result


@dataclass
class Root:
    """The largest value of a symbol whose ideal cost fits a budget."""

    value: Any            # exact sympy number (may be algebraic) or None when nothing fits
    capped: bool          # the budget is not reached below the upper bound
    polynomial: Any       # the piece of the closed form solved (None when capped/none)
    region: str           # where that piece holds

    @property
    def number(self) -> float | None:
        return None if self.value is None else float(self.value)


def largest_fitting(total: Any, sym: Any, fixed: dict, budget: int, upper: Any) -> Root:
    """Largest ``sym`` in (0, upper] with ``total`` <= ``budget``, other symbols at ``fixed``.

    ``total`` may contain Max/Min; it is polynomial between the points where they switch.
    """
    import sympy

    f = sympy.sympify(total).xreplace(fixed)
    upper = sympy.nsimplify(upper)
    at_upper = f.xreplace({sym: upper})
    if at_upper <= budget:
        return Root(upper, True, None, "")
    cuts = sorted(_switch_points(f, sym, upper))
    bounds = [sympy.Integer(0)] + cuts + [upper]
    for lo, hi in reversed(list(zip(bounds, bounds[1:]))):
        mid = (lo + hi) / 2
        branches, mapping = choose_branches([f], {sym: mid})
        piece = sympy.expand(resolve_branches(f, mapping))
        if not piece.has(sym):
            continue
        roots = [r for r in sympy.Poly(piece - budget, sym).real_roots()
                 if lo <= r.evalf(30) <= hi]
        if roots:
            root = max(roots, key=lambda r: r.evalf(30))
            return Root(root, False, piece, _interval(sym, lo, hi, branches))
    return Root(None, False, None, "")


def _switch_points(f: Any, sym: Any, upper: Any) -> set:
    import sympy

    points = set()
    for atom in f.atoms(sympy.Max, sympy.Min):
        args = atom.args
        for i, a in enumerate(args):
            for b in args[i + 1:]:
                diff = sympy.expand(a - b)
                if not diff.has(sym):
                    continue
                for r in sympy.Poly(diff, sym).real_roots() if diff.is_polynomial(sym) else []:
                    if 0 < r < upper:
                        points.add(sympy.nsimplify(r))
    return points


def _interval(sym: Any, lo: Any, hi: Any, branches: list) -> str:
    text = region_text(branches, {sym.name: sym})
    return text or f"{sym.name} > 0"
