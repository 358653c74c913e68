"""LaTeX renderer: a booktabs ``table`` ready for ``\\input``."""
from __future__ import annotations

from typing import Any

from costcalc.render.cells import plain
from costcalc.render.controls import visible
from costcalc.table import Table

# Every character TeX treats specially, written so that it prints as itself in any document
# (default OT1 font encoding too, where "<" would print as an inverted "!"). Brackets and "*"
# are braced: after "\\" or "\midrule" a row starting with "[" or "*" would be read as the
# command's optional argument or star.
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "[": "{[}",
            "]": "{]}", "*": "{*}"}


def escape(text: str) -> str:
    """User or program text as LaTeX that prints it literally: specials escaped, and control
    characters (a newline would end a ``%`` comment line) shown as visible escapes first."""
    return "".join(_SPECIAL.get(ch, ch) for ch in visible(str(text)))


def cell(value: Any, kind: str, exact: bool) -> str:
    if kind == "expr" and value is not None and not isinstance(value, (int, str)):
        from sympy import latex

        return f"${latex(value)}$"
    text = plain(value, kind, exact)
    if kind == "count" and exact and text.isdigit():
        return "{,}".join(_groups(text))
    return escape(text)


def _groups(digits: str) -> list[str]:
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]


def render(table: Table, exact: bool = True, **_: Any) -> str:
    spec = "".join("l" if c.kind == "text" else "r" for c in table.columns)
    lines = [r"\begin{table}[ht]", r"\centering", r"\small"]
    if table.title:
        lines.append(rf"\caption{{{escape(table.title)}}}")
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
              " & ".join(escape(c.title) for c in table.columns) + r" \\", r"\midrule"]
    for index, row in enumerate(table.rows):
        style = row.style
        if style == "total" and index:
            lines.append(r"\midrule")
        elif (style == "subtotal" or row.section) and index:
            lines.append(r"\addlinespace")
        cells = [cell(row.get(c.key), c.kind, exact) for c in table.columns]
        if row.indent and cells:
            cells[0] = r"\quad " + cells[0]
        if style in ("total", "subtotal"):
            cells = [rf"\textbf{{{text}}}" if text else text for text in cells]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    for note in table.footer:
        lines.append(rf"\par\smallskip\footnotesize {escape(note)}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"
