"""A total collected by powers of alpha and rho, each term with the layers it comes from.

``MACs = (40241152 t + 6422528) alpha^2 rho^2 + ... + 1280000`` shows the structure the notes
describe: pointwise convs give the alpha^2 rho^2 terms, the first conv and the depthwise convs
alpha rho^2, the classifier no rho at all. Coefficients may contain ``t``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from costcalc.symbolic.layers import LayerFormula


@dataclass
class Term:
    """``coefficient * monomial``; ``sources`` maps op class -> number of layers contributing."""

    exponents: tuple[int, ...]
    monomial: Any
    coefficient: Any
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def expr(self) -> Any:
        return self.coefficient * self.monomial

    @property
    def monomial_code(self) -> str:
        import sympy

        return "1" if self.monomial == 1 else sympy.sstr(self.monomial)

    @property
    def code(self) -> str:
        """sympy-readable, coefficient first: ``(40241152*t + 6422528)*alpha**2*rho**2``."""
        import sympy

        coeff = sympy.sstr(self.coefficient)
        if self.coefficient.is_Add:
            coeff = f"({coeff})"
        if self.monomial == 1:
            return coeff
        if self.coefficient == 1:
            return self.monomial_code
        return f"{coeff}*{self.monomial_code}"

    @property
    def latex(self) -> str:
        import sympy

        coeff = sympy.latex(self.coefficient)
        if self.coefficient.is_Add:
            coeff = rf"\left({coeff}\right)"
        if self.monomial == 1:
            return coeff
        mono = sympy.latex(self.monomial)
        if self.coefficient == 1:
            return mono
        return rf"{coeff}\,{mono}"

    @property
    def source_text(self) -> str:
        return ", ".join(f"{n} {cls}" for cls, n in sorted(self.sources.items(),
                                                          key=lambda kv: (-kv[1], kv[0])))


def generators(symbols: dict[str, Any]) -> list:
    """The symbols a total is collected in: alpha and rho (t stays in the coefficients)."""
    return [symbols[n] for n in ("alpha", "rho") if n in symbols]


def collect(total: Any, gens: Sequence, layers: Sequence[LayerFormula] = (),
            quantity: str = "macs") -> list[Term]:
    """``total`` as terms in the monomials of ``gens``, highest degree first."""
    import sympy

    terms = _poly_terms(total, gens)
    sources: dict[tuple, dict[str, int]] = {}
    for layer in layers:
        for exps in _poly_terms(getattr(layer, quantity), gens):
            per = sources.setdefault(exps, {})
            per[layer.op_class] = per.get(layer.op_class, 0) + 1
    result = []
    for exps, coeff in terms.items():
        mono = sympy.Mul(*(g**e for g, e in zip(gens, exps)))
        result.append(Term(exps, mono, coeff, sources.get(exps, {})))
    result.sort(key=lambda term: (-sum(term.exponents), tuple(-e for e in term.exponents)))
    return result


def _poly_terms(value: Any, gens: Sequence) -> dict[tuple, Any]:
    import sympy

    value = sympy.expand(sympy.sympify(value))
    if value == 0:
        return {}
    if not gens:
        return {(): value}
    poly = sympy.Poly(value, *gens)
    return {exps: sympy.expand(poly.coeff_monomial(exps)) for exps in poly.monoms()}


def join(parts: Sequence[str]) -> str:
    """``a + b - c`` from ``["a", "b", "-c"]``."""
    out = ""
    for index, part in enumerate(parts):
        sign, body = split_sign(part)
        if index == 0:
            out = f"-{body}" if sign == "-" else body
        else:
            out += f" {sign} {body}"
    return out or "0"


def split_sign(part: str) -> tuple[str, str]:
    """("-", "3*rho") for "-3*rho"; ("+", part) otherwise."""
    return ("-", part[1:]) if part.startswith("-") else ("+", part)


def code(terms: Sequence[Term]) -> str:
    """The collected sum as sympy-readable text."""
    return join([term.code for term in terms])


def latex_lines(terms: Sequence[Term]) -> list[str]:
    """One LaTeX term per line (for an ``align`` environment)."""
    return [term.latex for term in terms] or ["0"]


def text(terms: Sequence[Term]) -> str:
    """The collected sum for a terminal: ``46663680 alpha^2 rho^2 + ...``."""
    return join([_pretty(term.code) for term in terms])


def _pretty(code_text: str) -> str:
    return code_text.replace("**", "^").replace("*", " ")
