"""Each layer's cost in the notes' letters: rho^2 D_F^2 * alpha M * D_K^2, with the letters' values.

Letters (MobileNet notes): ``D_F`` side of the layer's output feature map at rho = 1, ``M``
input channels and ``N`` output channels before the multipliers, ``D_K`` kernel side, ``g``
groups of a grouped conv. The multipliers stay symbolic in front of the letter they scale:
``alpha M``, ``alpha t M``, ``rho^2 D_F^2``. A formula with its letters substituted is exactly the
engine's expression for that layer (``Formula.value``); whatever a counting convention adds on
top (BatchNorm parameters, bias adds) is appended as a plain remainder term.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from costcalc.graph.registry import lookup
from costcalc.symbolic.derive import Model


@dataclass(frozen=True)
class Piece:
    """One factor of a product: shown as text, as sympy code and as LaTeX; ``value`` is exact."""

    text: str
    code: str
    latex: str
    value: Any


@dataclass
class Formula:
    """A sum of products of pieces, e.g. ``alpha M * alpha N + alpha N``."""

    terms: list[list[Piece]]

    def __str__(self) -> str:
        return " + ".join(" * ".join(p.text for p in term) for term in self.terms)

    @property
    def code(self) -> str:
        """sympy-readable text in the letters and symbols (``rho**2*D_F**2*alpha*M*D_K**2``)."""
        return " + ".join("*".join(p.code for p in term) for term in self.terms)

    def _latex(self, printer: Any = None) -> str:  # sympy.latex() calls this
        return " + ".join(r" \cdot ".join(p.latex for p in term) for term in self.terms)

    @property
    def latex(self) -> str:
        return self._latex()

    @property
    def value(self) -> Any:
        """The formula with its letters substituted: an expression in alpha, rho, t."""
        import sympy

        return sympy.expand(sum((sympy.Mul(*(p.value for p in term)) for term in self.terms),
                                sympy.Integer(0)))


@dataclass
class LayerFormula:
    """One layer's closed forms and the notes' letters it uses."""

    name: str
    kind: str
    op_class: str
    macs: Any
    params: Any
    macs_formula: Formula | None
    params_formula: Formula | None
    letters: dict[str, Any] = field(default_factory=dict)
    exact_macs: int | None = None
    exact_params: int | None = None


def layer_formulas(model: Model, all_layers: bool = False) -> list[LayerFormula]:
    """Per-layer closed forms of ``model`` (layers with no MACs and no params left out)."""
    import sympy

    exact = {row.name: row for row in model.exact.layers}
    result = []
    for row in model.report.layers:
        macs = sympy.expand(model.resolve(row.macs))
        params = sympy.expand(model.resolve(row.params))
        if not all_layers and macs == 0 and params == 0:
            continue
        letters: dict[str, Any] = {}
        macs_f, params_f = _templates(model, row.node, letters)
        if macs_f is not None:
            macs_f = _complete(macs_f, macs)
            params_f = _complete(params_f, params)
        twin = exact.get(row.name)
        result.append(LayerFormula(row.name, row.kind, row.op_class, macs, params, macs_f,
                                   params_f, letters, twin.macs if twin else None,
                                   twin.params if twin else None))
    return result


def _complete(formula: Formula, total: Any) -> Formula:
    """Append what the convention counts beyond the formula (e.g. BatchNorm) as a plain term."""
    import sympy

    rest = sympy.expand(total - formula.value)
    if rest == 0:
        return formula
    text = sympy.sstr(rest)
    return Formula(formula.terms + [[Piece(text, f"({text})", sympy.latex(rest), rest)]])


# Letters are introduced in one order (D_F, M, D_K, g, N) whatever order a product shows them
# in, so each layer's letters read the same in every output.
_ORDER = {"spatial": 0, "channels": 1, "grouped": 1, "number": 1, "kernel": 2, "g": 3, "N": 4}


def _templates(model: Model, node: Any, letters: dict) -> tuple[Formula | None, Formula | None]:
    """The node's kind's cost in letters (``Kind.letters``), as Formulas; None without one."""
    kind = lookup(node.kind)
    if kind is None or kind.letters is None:
        return None, None
    macs, params = kind.letters(node, model.resolve)
    factors = [f for term in macs + params for f in term]
    steps = []
    for i, factor in enumerate(factors):
        tag = "N" if factor[0] == "channels" and factor[1] == "N" else factor[0]
        steps.append((_ORDER[tag], i, "piece"))
        if tag == "grouped":
            steps.append((_ORDER["g"], i, "g"))
    pieces: dict[int, Piece | list[Piece]] = {}
    for _, i, step in sorted(steps):
        if step == "g":
            letters["g"] = factors[i][3]
        else:
            pieces[i] = _piece(model, factors[i], letters)
    positions = iter(range(len(factors)))
    return (Formula([_product(term, positions, pieces) for term in macs]),
            Formula([_product(term, positions, pieces) for term in params]))


def _product(term: list, positions: Any, pieces: dict) -> list[Piece]:
    result: list[Piece] = []
    for _ in term:
        piece = pieces[next(positions)]
        result += piece if isinstance(piece, list) else [piece]
    return result


def _piece(model: Model, factor: tuple, letters: dict) -> Piece | list[Piece]:
    tag = factor[0]
    if tag == "spatial":
        return _spatial(model, factor[1], factor[2], letters)
    if tag == "kernel":
        return _kernel(factor[1], letters)
    if tag == "number":
        return _number(factor[1])
    m = _channels(model, factor[2], factor[1], letters)
    if tag == "channels":
        return m
    return Piece(f"{m.text}/g", f"{m.code}/g", rf"{m.latex} / g", m.value / factor[3])  # M/g


def _spatial(model: Model, h: Any, w: Any, letters: dict) -> list[Piece]:
    import sympy

    rho = model.symbols.get("rho")
    if h == w:
        coeff, power = _split(h, rho)
        if coeff is None:
            return [Piece(f"({sympy.sstr(h)})^2", f"({sympy.sstr(h)})**2",
                          rf"\left({sympy.latex(h)}\right)^{{2}}", h * w)]
        if power == 0 and coeff == 1:
            return []
        letters["D_F"] = coeff
        scale = _power_text(rho, 2 * power)
        return [Piece((scale[0] + " " if scale[0] else "") + "D_F^2",
                      (scale[1] + "*" if scale[1] else "") + "D_F**2",
                      (scale[2] + " " if scale[2] else "") + "D_F^{2}", h * w)]
    pieces = []
    for letter, side in (("D_H", h), ("D_W", w)):
        coeff, power = _split(side, rho)
        if coeff is None:
            pieces.append(Piece(f"({sympy.sstr(side)})", f"({sympy.sstr(side)})",
                                rf"\left({sympy.latex(side)}\right)", side))
            continue
        letters[letter] = coeff
        scale = _power_text(rho, power)
        pieces.append(Piece((scale[0] + " " if scale[0] else "") + letter,
                            (scale[1] + "*" if scale[1] else "") + letter,
                            (scale[2] + " " if scale[2] else "") + letter, side))
    return pieces


def _channels(model: Model, value: Any, letter: str, letters: dict) -> Piece:
    """``alpha t M`` for a channel count 24*alpha*t, with M = 24 recorded in ``letters``."""
    import sympy

    value = sympy.sympify(value)
    coeff, rest = value.as_coeff_Mul()
    factors = rest.as_powers_dict() if rest != 1 else {}
    known = [model.symbols[n] for n in ("alpha", "t") if n in model.symbols]
    if coeff <= 0 or any(base not in known or not getattr(exp, "is_Integer", False) or exp < 1
                         for base, exp in factors.items()):
        text = sympy.sstr(value)
        return Piece(f"({text})", f"({text})", rf"\left({sympy.latex(value)}\right)", value)
    letters.setdefault(letter, coeff)
    if letters[letter] != coeff:  # the same letter twice with different values: show the number
        letter = sympy.sstr(coeff)
    text, code, tex = [], [], []
    for base in known:
        if base in factors:
            t, c, x = _power_text(base, int(factors[base]))
            text.append(t)
            code.append(c)
            tex.append(x)
    return Piece(" ".join(text + [letter]), "*".join(code + [letter]),
                 " ".join(tex + [letter]), value)


def _kernel(kernel: Any, letters: dict) -> list[Piece]:
    if kernel == 1:
        return []
    letters["D_K"] = kernel
    return [Piece("D_K^2", "D_K**2", "D_K^{2}", kernel * kernel)]


def _number(value: Any) -> Piece:
    import sympy

    value = sympy.sympify(value)
    if isinstance(value, sympy.Add):  # a factor of a product: a sum (N = 196 rho^2 + 1) is
        text = f"({sympy.sstr(value)})"  # bracketed
        return Piece(text, text, rf"\left({sympy.latex(value)}\right)", value)
    return Piece(sympy.sstr(value), sympy.sstr(value), sympy.latex(value), value)


def _split(value: Any, sym: Any) -> tuple[Any, int]:
    """``value = coeff * sym**power`` with a positive number coeff, or (None, 0)."""
    import sympy

    value = sympy.sympify(value)
    if sym is None:
        return (value, 0) if value.is_Number and value > 0 else (None, 0)
    coeff, power = value.as_coeff_exponent(sym)
    if not coeff.is_Number or coeff <= 0 or not power.is_Integer:
        return None, 0
    return coeff, int(power)


def _power_text(sym: Any, power: int) -> tuple[str, str, str]:
    if sym is None or power == 0:
        return "", "", ""
    name = sym.name
    tex = {"alpha": r"\alpha", "rho": r"\rho"}.get(name, name)
    if power == 1:
        return name, name, tex
    return f"{name}^{power}", f"{name}**{power}", f"{tex}^{{{power}}}"
