"""LaTeX renderer: a booktabs table that goes into a paper as it is (``\\input``).

Needs ``booktabs``, ``amsmath``, ``longtable`` and ``graphicx``. Every column has one unit,
named in its header; shapes, multiplications and Greek parameters are set in math mode; a
table wider than the text is scaled to ``\\linewidth`` and a long one breaks across pages
(``longtable``). ``caption``, ``label`` and ``notes`` choose what surrounds the table.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Sequence

from costcalc.render.cells import plain
from costcalc.render.controls import visible
from costcalc.table import Column, Table

PACKAGES = r"\usepackage{booktabs,amsmath,longtable,graphicx}"

# Every character TeX treats specially, written so that it prints as itself in any document
# (default OT1 font encoding too, where "<" would print as an inverted "!"). Brackets and "*"
# are braced: after "\\" or "\midrule" a row starting with "[" or "*" would be read as the
# command's optional argument or star.
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "[": "{[}",
            "]": "{]}", "*": "{*}"}
_UNITS = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))
_SHAPE = re.compile(r"(?<![\w.])\d+(?:x\d+)+(?![\w.])")
_LONG_NUMBER = re.compile(r"(?<![\w.{\\])\d{4,}(?![\w.])")
TEXT_WIDTH_PT = 345.0   # \textwidth of a plain article at 10 pt
ROW_PT = 12.0           # a row at \small, with booktabs' spacing
FLOAT_HEIGHT_PT = 430.0  # a float taller than this (0.75 \textheight) gets a page of its own
CHAR_PT = 5.0           # a generous average character width at \small
COLUMN_PT = 12.0        # 2 \tabcolsep per column
WRAP_CHARS = 60         # the width estimate counts longer text cells as this long
LONG_ROWS = 40          # tables with more rows use longtable (page breaks)


def escape(text: str) -> str:
    """User or program text as LaTeX that prints it literally: specials escaped, and control
    characters (a newline would end a ``%`` comment line) shown as visible escapes first."""
    return "".join(_SPECIAL.get(ch, ch) for ch in visible(str(text)))


def prose(text: str) -> str:
    """Program text (headers, notes) escaped, with its math set as math: shapes ``16x80x80``
    as 16 x 80 x 80, `` x `` as a times sign, alpha and rho as Greek letters, ``^2`` raised,
    ``Max(`` / ``Min(`` as max / min, digits of long numbers grouped."""
    text = escape(text)
    text = _SHAPE.sub(lambda m: "$" + r"\times ".join(m.group().split("x")) + "$", text)
    text = re.sub(r"(?<=\s)x(?=\s|$)", r"$\\times$", text)
    text = re.sub(r"\b(alpha|rho)\b", r"$\\\1$", text)
    text = re.sub(r"\\\^\{\}(\d+)", r"\\textsuperscript{\1}", text)
    text = re.sub(r"\b(Max|Min)\(", lambda m: f"$\\{m.group(1).lower()}$(", text)
    return group_digits(text)


def group_digits(text: str) -> str:
    """``539492352`` as ``539{,}492{,}352``: thin groups of three that TeX sets as 539,492,352."""
    return _LONG_NUMBER.sub(lambda m: "{,}".join(_groups(m.group())), text)


def _groups(digits: str) -> list[str]:
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]


def _unit(table: Table, column: Column, exact: bool) -> tuple[int, str] | None:
    """The one scale a humanised count column is written in (``M``: millions), if any."""
    if column.kind != "count" or exact:
        return None
    values = [abs(row.get(column.key)) for row in table.rows
              if isinstance(row.get(column.key), int) and not isinstance(row.get(column.key), bool)]
    # the largest unit in which the smallest non-zero value still shows (0.01 or more)
    smallest = min((v for v in values if v), default=0)
    return next(((f, s) for f, s in _UNITS if smallest * 100 >= f), None)


def header(column: Column, unit: tuple[int, str] | None) -> str:
    title = column.title.strip()
    if column.kind == "percent" and title.startswith("%"):
        return prose(title[1:]) + r" (\%)"
    if title.endswith(" x"):
        return prose(title[:-2]) + r" ($\times$)"
    if title == "1/N+1/K^2":
        return r"$1/N+1/K^2$"
    return prose(title) + (f" ({unit[1]})" if unit else "")


def cell(value: Any, kind: str, exact: bool, unit: tuple[int, str] | None = None) -> str:
    if kind == "expr" and value is not None and not isinstance(value, (int, str)):
        from sympy import latex

        return f"${group_digits(latex(value))}$"
    if unit is not None and isinstance(value, int) and not isinstance(value, bool):
        return group_digits(f"{float(Fraction(value, unit[0])):.2f}")
    if kind == "percent" and value is not None:
        return f"{float(value):.2f}"
    text = plain(value, kind, exact)
    if kind == "count" and exact and text.lstrip("-").isdigit():
        return group_digits(text)
    if _SHAPE.fullmatch(text):
        return prose(text)
    return escape(text)


def _chars(table: Table, column: Column, exact: bool) -> int:
    texts = [column.title] + [plain(row.get(column.key), column.kind, exact) for row in table.rows]
    if column.kind == "expr":
        texts = [column.title] + [str(row.get(column.key)) for row in table.rows]
    return min(max(map(len, texts)), WRAP_CHARS)


def render(table: Table, exact: bool = True, caption: str | None = None,
           label: str | None = None, notes: bool = True, **_: Any) -> str:
    units = [_unit(table, c, exact) for c in table.columns]
    spec = "".join("l" if c.kind == "text" else "r" for c in table.columns)
    head = " & ".join(header(c, u) for c, u in zip(table.columns, units)) + r" \\"
    body = _body(table, exact, units)
    wide = sum(_chars(table, c, exact) * CHAR_PT + COLUMN_PT for c in table.columns)
    scale = TEXT_WIDTH_PT / wide if wide else 1.0
    # the title names the model: user text, set literally like the caption
    title = escape(caption if caption is not None else table.title or "")
    labelled = rf"\label{{{escape(label)}}}" if label else ""
    footer = [rf"\par\smallskip{{\footnotesize\raggedright {prose(note)}\par}}"
              for note in table.footer] if notes else []
    tall = (len(table.rows) + 2) * ROW_PT
    if len(table.rows) > LONG_ROWS and scale >= 1:  # long and narrow: break across pages
        return _long(spec, head, body, title, labelled, footer)
    lines = [r"\begin{table}[" + ("p" if tall * min(scale, 1) > FLOAT_HEIGHT_PT else "ht")
             + "]", r"\centering", r"\small"]
    if title or labelled:
        lines.append(rf"\caption{{{title}}}{labelled}")
    tabular = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", head, r"\midrule", *body,
               r"\bottomrule", r"\end{tabular}"]
    if scale < 1:  # wider than the text: scaled down to fit it
        tabular[0] = r"\resizebox{\linewidth}{!}{" + tabular[0]
        tabular[-1] += "}"
    lines += tabular + footer + [r"\end{table}"]
    return "\n".join(lines) + "\n"


def _long(spec: str, head: str, body: list[str], title: str, labelled: str,
          footer: list[str]) -> str:
    """A table that breaks across pages, its header repeated on each."""
    lines = [r"\begingroup", r"\small", rf"\begin{{longtable}}{{{spec}}}"]
    if title or labelled:
        lines.append(rf"\caption{{{title}}}{labelled}\\")
    lines += [r"\toprule", head, r"\midrule", r"\endfirsthead", r"\toprule", head, r"\midrule",
              r"\endhead", r"\bottomrule", r"\endlastfoot", *body, r"\end{longtable}",
              r"\endgroup", *footer]
    return "\n".join(lines) + "\n"


def _body(table: Table, exact: bool, units: Sequence) -> list[str]:
    lines = []
    for index, row in enumerate(table.rows):
        style = row.style
        if style == "total" and index:
            lines.append(r"\midrule")
        elif (style == "subtotal" or row.section) and index:
            lines.append(r"\addlinespace")
        cells = [cell(row.get(c.key), c.kind, exact, u) for c, u in zip(table.columns, units)]
        if row.indent and cells:
            cells[0] = r"\quad " + cells[0]
        if style in ("total", "subtotal"):
            cells = [rf"\textbf{{{text}}}" if text else text for text in cells]
        lines.append(" & ".join(cells) + r" \\")
    return lines
