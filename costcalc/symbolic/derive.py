"""Closed forms of a spec's costs in alpha, rho, t: symbolic build, branches at a point, gap.

The engine builds the same graph on sympy values: ``alpha`` (width multiplier; ideal channels
``alpha * c``, every rounding function the identity), ``resolution = base * rho`` (ideal feature
maps ``H / s``) and ``t`` (expansion factor, where the spec declares it). ``max``/``min`` in a
spec (v1's ``max(int(c * alpha), 8)``, the v2/v3 head ``max(1, alpha)``) become sympy ``Max`` and
``Min``; they are resolved at the user's point by taking the branch that holds there, which makes
every total a polynomial, valid in the region the chosen branches describe.

sympy is imported inside the functions: only the ``formula`` and ``solve`` commands load it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Mapping, Sequence

from costcalc.costing import conventions
from costcalc import numbers
from costcalc.costing.report import Report
from costcalc.costing.analyze import resolve
from costcalc.errors import SpecError, UsageError
from costcalc.graph.core import Graph
from costcalc.spec.document import Spec
from costcalc.graph.bounds import problem

SYMBOL_NAMES = ("alpha", "rho", "t")
DESCRIPTIONS = {
    "alpha": "width multiplier: a scaled channel count c becomes alpha*c (ideal, no rounding)",
    "rho": "resolution multiplier: input side {base}*rho, every feature map side D_F becomes "
           "rho*D_F (ideal H/s, no floor or ceil)",
    "t": "expansion factor of the inverted residual blocks (hidden channels t*M)",
}


@lru_cache(maxsize=1)
def symbols() -> dict[str, Any]:
    """The three closed-form symbols, positive reals, by name."""
    import sympy

    return {name: sympy.Symbol(name, positive=True) for name in SYMBOL_NAMES}


@lru_cache(maxsize=1)
def _parameter_symbol() -> type:
    """The Symbol class of parameters kept symbolic (``kept_symbols``): one word in LaTeX
    (``\\mathit{classes}``), not the product of seven italic letters sympy would print."""
    import sympy

    class ParameterSymbol(sympy.Symbol):
        def _latex(self, printer: Any = None) -> str:  # sympy.latex() calls this
            return r"\mathit{" + self.name.replace("_", r"\_") + "}"

    return ParameterSymbol


@dataclass
class Branch:
    """One ``Max``/``Min`` of the symbolic build and the argument chosen at the point."""

    atom: Any
    chosen: Any
    conditions: list  # sympy relationals under which ``chosen`` is the value of ``atom``


@dataclass
class GapSource:
    """A layer whose exact output shape differs from the ideal one (or exists in one graph only)."""

    layer: str
    ideal: tuple | None  # (c, h, w) as exact numbers; None when the layer is not in the ideal graph
    exact: tuple | None

    @property
    def reason(self) -> str:
        if self.ideal is None:
            return "only in the exact graph"
        if self.exact is None:
            return "only in the ideal graph (the exact build skips it, e.g. expanding to t M = M)"
        what = []
        if self.ideal[0] != self.exact[0]:
            what.append(f"channels {number_text(self.exact[0])} "
                        f"(ideal {number_text(self.ideal[0])})")
        if self.ideal[1:] != self.exact[1:]:
            what.append(f"size {number_text(self.exact[1])}x{number_text(self.exact[2])} "
                        f"(ideal {number_text(self.ideal[1])}x{number_text(self.ideal[2])})")
        return ", ".join(what)


@dataclass
class Model:
    """A spec's closed forms at a point, next to its exact counts there.

    ``symbols`` holds the symbols the build used (name -> Symbol); ``at`` their values at the
    point (Symbol -> sympy Rational); ``report`` is the symbolic Report whose expressions may still
    contain Max/Min; ``resolve`` maps them to the chosen branches; ``macs`` and ``params`` are the
    expanded branch-resolved totals; ``exact`` is the numeric Report at the same parameters.
    """

    spec: Spec
    convention: conventions.Convention
    values: dict[str, Any]
    symbols: dict[str, Any]
    at: dict[Any, Any]
    base_resolution: Any
    report: Report
    exact: Report
    branches: list[Branch]
    mapping: dict[Any, Any]
    macs: Any
    params: Any
    sources: list[GapSource] = field(default_factory=list)

    def resolve(self, value: Any) -> Any:
        """``value`` with every Max/Min replaced by its branch at the point."""
        return resolve_branches(value, self.mapping)

    def evaluate(self, value: Any) -> Any:
        """An ideal expression at the point, as an exact sympy number."""
        return evaluate(self.resolve(value), self.at)

    @property
    def ideal_macs(self) -> Any:
        return evaluate(self.macs, self.at)

    @property
    def ideal_params(self) -> Any:
        return evaluate(self.params, self.at)

    def gap(self, quantity: str) -> dict[str, Any]:
        """Exact minus ideal at the point, absolute and relative to the exact count."""
        exact = getattr(self.exact.total, quantity)
        ideal = self.ideal_macs if quantity == "macs" else self.ideal_params
        ideal_q = to_fraction(ideal)
        absolute = exact - ideal_q
        relative = float(absolute / exact) if exact else 0.0
        return {"exact": exact, "ideal": ideal_q, "absolute": absolute, "relative": relative}

    @property
    def region(self) -> str:
        return region_text(self.branches, self.symbols)

    def point_text(self) -> str:
        """The point, as ``alpha=1, resolution=224 (rho=1), t=6``."""
        parts = []
        for name, sym in self.symbols.items():
            value = self.at[sym]
            if name == "rho":
                parts.append(f"resolution={number_text(self.values['resolution'])} "
                             f"(rho={number_text(value)})")
            else:
                parts.append(f"{name}={number_text(value)}")
        return ", ".join(parts)


def kept_symbols(spec: Spec, names: Sequence[str]) -> list[str]:
    """``names`` checked as parameters ``spec`` can keep symbolic besides alpha, rho and t: each a
    numeric parameter without a list of choices (classes, anchors, proposals, a head width)."""
    numeric = [n for n, p in spec.parameters.items() if p.type == "number" and p.choices is None
               and n not in ("alpha", "resolution", "t")]
    result: list[str] = []
    for name in names:
        if name in ("alpha", "resolution", "rho", "t"):
            raise UsageError(f"--symbols: {name!r} is always a symbol of the closed form; name "
                             f"other parameters of {spec.name}: {', '.join(numeric) or 'none'}")
        if name not in numeric:
            raise UsageError(f"--symbols: {spec.name} has no numeric parameter {name!r}; "
                             f"it can keep symbolic: {', '.join(numeric) or 'none'}")
        if name not in result:
            result.append(name)
    return result


def symbolic_values(spec: Spec, values: Mapping[str, Any],
                    kept: Sequence[str] = ()) -> tuple[dict, dict, dict, Any]:
    """Parameter values with alpha, resolution and t, and the parameters named in ``kept``
    (``kept_symbols``), replaced by symbols.

    Returns (values for ``spec.build``, used symbols by name, point Symbol -> value, base
    resolution).
    """
    import sympy

    syms = symbols()
    built = dict(values)
    used: dict[str, Any] = {}
    at: dict[Any, Any] = {}
    base = None
    for name in ("alpha", "t"):
        param = spec.parameters.get(name)
        # a parameter with a list of choices picks discrete widths (ShuffleNet v2): no closed form
        if param is not None and param.type == "number" and param.choices is None:
            built[name] = syms[name]
            used[name] = syms[name]
            at[syms[name]] = sympy.Rational(str(Fraction(values[name])))
    if spec.base_resolution is not None:
        base = spec.base_resolution
        built["resolution"] = base * syms["rho"]
        used["rho"] = syms["rho"]
        at[syms["rho"]] = sympy.Rational(str(Fraction(values["resolution"]) / Fraction(base)))
    ordered = {n: used[n] for n in SYMBOL_NAMES if n in used}
    for name in kept:
        # positive, as alpha: counts and widths (a comparison on one is decided only when it
        # holds for every positive value, proposals > 0; otherwise refused by the build)
        ordered[name] = built[name] = _parameter_symbol()(name, positive=True)
        at[ordered[name]] = sympy.Rational(str(Fraction(values[name])))
    return built, ordered, at, base


def symbolic_report(spec: Spec, values: Mapping[str, Any],
                    convention: str | conventions.Convention = "paper") -> Report:
    """Build ``spec`` on (partly) symbolic parameter ``values`` and count it under ``convention``.

    Any parameter may be a sympy expression; tests use this to derive the notes' formulas in
    ``M``, ``N``, ``D_K``, ``D_F`` and ``t`` from tiny specs.
    """
    rules = conventions.get(convention) if isinstance(convention, str) else convention
    graph = spec.build(dict(values), symbolic=True)
    return Report.from_graph(graph, dict(values), rules)


def derive(spec: Spec, overrides: Mapping[str, Any] | None = None,
           convention: str = "paper", kept: Sequence[str] = ()) -> Model:
    """The closed forms of ``spec`` at the point given by ``overrides`` (defaults otherwise),
    in alpha, rho, t and the numeric parameters named in ``kept`` (``kept_symbols``)."""
    import sympy

    rules = conventions.get(convention)
    values = resolve(spec, dict(overrides or {}), rules)
    built, used, at, base = symbolic_values(spec, values, kept_symbols(spec, kept))
    report = Report.from_graph(spec.build(built, symbolic=True), built, rules)
    for total in (report.total.macs, report.total.params):
        reason = problem(total)  # each layer is within the limits; their sum may not be
        if reason:
            raise SpecError(f"{spec.name}: {reason}", spec.path)
    exact = Report.from_graph(spec.build(values), values, rules)
    branches, mapping = choose_branches(_graph_values(report.graph, report), at)
    macs = sympy.expand(resolve_branches(report.total.macs, mapping))
    params = sympy.expand(resolve_branches(report.total.params, mapping))
    model = Model(spec, rules, values, used, at, base, report, exact, branches, mapping, macs,
                  params)
    model.sources = gap_sources(model)
    return model


def _graph_values(graph: Graph, report: Report) -> list:
    found = [report.total.macs, report.total.params]
    for node in graph.nodes:
        found.extend(node.shape)
        found.append(node.info.get("in_channels"))
    return [v for v in found if hasattr(v, "atoms")]


def choose_branches(exprs: list, at: Mapping[Any, Any]) -> tuple[list[Branch], dict]:
    """For every Max/Min in ``exprs`` the argument that is the value at the point ``at``.

    On a tie the branch that holds just below the point wins (alpha = 1 keeps the v2 head at
    1280, the region alpha <= 1 that the papers use).
    """
    import sympy

    atoms: set = set()
    for value in exprs:
        atoms |= value.atoms(sympy.Max, sympy.Min)
    pending = list(atoms)
    seen = set(pending)
    branches, mapping = [], {}
    below = {sym: value * (1 - sympy.Rational(1, 10**9)) for sym, value in at.items()}
    while pending:
        atom = pending.pop()
        values = [evaluate(arg, at) for arg in atom.args]
        pick = max if isinstance(atom, sympy.Max) else min
        best = pick(values)
        tied = [arg for arg, v in zip(atom.args, values) if v == best]
        if len(tied) > 1:
            near = [evaluate(arg, below) for arg in tied]
            tied = [tied[near.index(pick(near))]]
        chosen = tied[0]
        sign = 1 if isinstance(atom, sympy.Max) else -1
        conditions = [sympy.Ge(sign * (chosen - arg), 0) for arg in atom.args if arg != chosen]
        conditions = [c for c in conditions if c is not sympy.true]
        branches.append(Branch(atom, chosen, conditions))
        mapping[atom] = chosen
        for inner in chosen.atoms(sympy.Max, sympy.Min):
            if inner not in seen:
                seen.add(inner)
                pending.append(inner)
    for branch in branches:
        branch.conditions = [resolve_branches(c, mapping) for c in branch.conditions]
    branches.sort(key=lambda b: str(b.atom))
    return branches, mapping


def resolve_branches(value: Any, mapping: Mapping[Any, Any]) -> Any:
    """Replace Max/Min atoms by their chosen arguments until none of ``mapping`` is left."""
    if not mapping or not hasattr(value, "xreplace"):
        return value
    for _ in range(50):
        new = value.xreplace(mapping)
        if new == value:
            return new
        value = new
    return value


def evaluate(value: Any, at: Mapping[Any, Any]) -> Any:
    """An expression at a point, exactly (sympy numbers)."""
    import sympy

    if hasattr(value, "xreplace"):
        return value.xreplace(dict(at))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    return sympy.sympify(value) if isinstance(value, int) else value


def to_fraction(value: Any) -> Fraction | int:
    """A rational sympy number (or int) as an exact Python number."""
    if isinstance(value, (int, Fraction)):
        return value
    if not getattr(value, "is_Rational", False):
        raise UsageError(f"the closed form does not evaluate to a number here: {value}")
    return numbers.normalize(Fraction(int(value.p), int(value.q)))


def gap_sources(model: Model) -> list[GapSource]:
    """Layers whose exact output shape differs from the ideal shape at the point."""
    ideal = {node.name: node for node in model.report.graph.nodes}
    exact = {node.name: node for node in model.exact.graph.nodes}
    sources = []
    for name, node in exact.items():
        if name not in ideal:
            sources.append(GapSource(name, None, tuple(node.shape)))
            continue
        shape = tuple(to_fraction(model.evaluate(v)) for v in ideal[name].shape)
        if shape != tuple(node.shape):
            sources.append(GapSource(name, shape, tuple(node.shape)))
    for name, node in ideal.items():
        if name not in exact:
            shape = tuple(to_fraction(model.evaluate(v)) for v in node.shape)
            sources.append(GapSource(name, shape, None))
    return sources


def region_text(branches: list[Branch], used: Mapping[str, Any]) -> str:
    """Where the chosen branches hold, e.g. ``0 < alpha <= 1``; empty when everywhere."""
    import sympy

    sets: dict[Any, Any] = {}
    others: list[str] = []
    for branch in branches:
        for cond in branch.conditions:
            free = cond.free_symbols
            if not free:
                continue
            if len(free) == 1:
                (sym,) = free
                solved = sympy.solve_univariate_inequality(cond, sym, relational=False)
                sets[sym] = sets.get(sym, sympy.Interval.open(0, sympy.oo)).intersect(solved)
            else:
                others.append(sympy.sstr(cond))
    parts = [_set_text(sym.name, s) for sym, s in sorted(sets.items(), key=lambda kv: kv[0].name)]
    parts = [p for p in parts if p]
    return " and ".join(parts + sorted(set(others)))


def _set_text(name: str, value: Any) -> str:
    import sympy

    if isinstance(value, sympy.Union):
        return " or ".join(_set_text(name, part) for part in value.args)
    if value is sympy.S.EmptySet:
        return f"no {name}"
    if not isinstance(value, sympy.Interval):
        return f"{name} in {value}"
    lo, hi = value.start, value.end
    if lo == 0 and value.left_open and hi is sympy.oo:
        return ""
    if hi is sympy.oo:
        return f"{name} {'>' if value.left_open else '>='} {number_text(lo)}"
    left = "<" if value.left_open else "<="
    right = "<" if value.right_open else "<="
    return f"{number_text(lo)} {left} {name} {right} {number_text(hi)}"


number_text = numbers.exact_text  # an exact number as text: 0.75, 7/3, 224

