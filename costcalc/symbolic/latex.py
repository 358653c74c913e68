"""LaTeX for ``costcalc formula``: ``align`` environments for the totals, gap and sensitivities.

The per-layer table comes from the shared LaTeX renderer; the whole output is a fragment for
``\\input`` in a document that loads ``amsmath`` and ``booktabs``.
"""
from __future__ import annotations

import re
from typing import Any

from costcalc import numbers
from costcalc.symbolic import terms as terms_mod
from costcalc.symbolic.calculus import Sensitivity
from costcalc.render import render
from costcalc.render.latex import escape
from costcalc.symbolic.derive import Model, number_text
from costcalc.table import Table

PREAMBLE = r"\usepackage{booktabs,amsmath,longtable,graphicx}"
_GREEK = {"alpha": r"\alpha", "rho": r"\rho"}


def document(model: Model, totals: dict, table: Table,
             sensitivities: list[Sensitivity] | None = None, **table_options: Any) -> str:
    """The LaTeX fragment: totals, region, gap, optional sensitivities, then ``table``."""
    # The names come from the spec and the profile: escaped, a newline in them cannot end the
    # comment line and start LaTeX.
    lines = [f"% costcalc formula {escape(model.spec.name)} ({escape(model.convention.name)} "
             f"convention) at {escape(model.point_text() or 'the defaults')}",
             f"% needs {PREAMBLE}"]
    lines += _align([("MACs", totals["macs"]), ("params", totals["params"])])
    if model.region:
        lines.append(f"Valid for ${inline(model.region)}$.")
        lines.append("")
    lines += _gap(model)
    if sensitivities:
        lines += _sensitivity(sensitivities)
    lines.append(render(table, "latex", exact=True, **table_options))
    return "\n".join(lines)


def _align(named: list[tuple[str, list[terms_mod.Term]]]) -> list[str]:
    lines = [r"\begin{align}"]
    for index, (name, terms) in enumerate(named):
        parts = terms_mod.latex_lines(terms)
        for i, part in enumerate(parts):
            sign, body = terms_mod.split_sign(part)
            if i == 0:
                head = rf"\text{{{name}}} &= "
            else:
                head, part = rf"&\quad {sign} ", body
            last = i == len(parts) - 1
            end = "" if last and index == len(named) - 1 else r" \\"
            tag = "" if last else r" \notag"
            lines.append(f"{head}{part}{tag}{end}")
    lines.append(r"\end{align}")
    return lines


def _gap(model: Model) -> list[str]:
    lines = [r"\begin{align}"]
    rows = []
    for q, name in (("macs", "MACs"), ("params", "params")):
        gap = model.gap(q)
        rows.append(rf"\text{{{name}}}_{{\text{{exact}}}} - \text{{{name}}}_{{\text{{ideal}}}} "
                    rf"&= {_tex_number(number_text(gap['exact']))} - "
                    rf"{_tex_number(number_text(gap['ideal']))} = "
                    rf"{_tex_number(number_text(gap['absolute']))} "
                    rf"&& ({100 * gap['relative']:.4f}\,\%)")
    lines.append(" \\\\\n".join(rows))
    lines.append(r"\end{align}")
    return lines


def _sensitivity(rows: list[Sensitivity]) -> list[str]:
    import sympy

    out = []
    for s in rows:
        name = "MACs" if s.quantity == "macs" else "params"
        # t is one letter; a parameter kept symbolic (--symbols) is a word, as its formulas print it
        var = _GREEK.get(s.symbol) or (s.symbol if len(s.symbol) == 1 else
                                       r"\mathit{" + s.symbol.replace("_", r"\_") + "}")
        elasticity = "" if s.elasticity is None else \
            rf" && \varepsilon_{{{var}}} = {s.elasticity:.4f}"
        out.append(rf"\frac{{\partial\,\text{{{name}}}}}{{\partial {var}}} &= "
                   rf"{sympy.latex(s.derivative)} = {_tex_number(_short(s.value))}{elasticity}")
    return [r"\begin{align}", " \\\\\n".join(out), r"\end{align}"]


def _short(value) -> str:
    return numbers.near_text(value, 6)


def _tex_number(text: str) -> str:
    if "/" in text:
        num, den = text.split("/")
        return rf"\tfrac{{{num}}}{{{den}}}"
    return text


def inline(text: str) -> str:
    """A region such as ``0 < alpha <= 1`` in LaTeX math."""
    text = text.replace("<=", r"\le").replace(">=", r"\ge").replace(" and ", r",\ ")
    text = text.replace(" or ", r"\ \text{or}\ ")
    return re.sub(r"\b(alpha|rho)\b", lambda m: _GREEK[m.group(1)], text)
