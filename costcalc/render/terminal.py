"""Terminal renderer: a rich table on a colour terminal, plain aligned text otherwise.

Plain text (a pipe, a file, ``NO_COLOR``) has no colour codes and no box drawing: columns
separated by two spaces under a dashed header rule, so it diffs, greps and pastes cleanly.
Every text (title, headers, cells, footer) is shown literally: rich never reads it as markup
or emoji codes, and control characters are written as visible escapes (``literal``).
"""
from __future__ import annotations

import io
import os
import sys
from typing import Any

from costcalc.render.cells import plain
from costcalc.render.controls import visible
from costcalc.table import Row, Table

INDENT = "  "


def use_color(stream: Any = None) -> bool:
    """Colour and box art only on a terminal and when ``NO_COLOR`` is unset."""
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def literal(text: str) -> str:
    """Text as the terminal must show it: control characters (ESC, BEL, CR, newline, bidi
    overrides) written as visible escapes, so no name can drive the terminal or break a line."""
    return visible(str(text))


def markup(text: str) -> str:
    """Text for the few rich places that only take markup strings (progress descriptions):
    ``literal`` with the markup brackets escaped."""
    from rich.markup import escape

    return escape(literal(text))


def _cells(table: Table, row: Row, exact: bool) -> list[str]:
    cells = [literal(plain(row.get(c.key), c.kind, exact)) for c in table.columns]
    if cells and row.indent:
        cells[0] = INDENT * row.indent + cells[0]
    return cells


def render(table: Table, exact: bool = False, color: bool | None = None, **_: Any) -> str:
    if color is None:
        color = use_color()
    if not color:
        return render_plain(table, exact)
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    # rich reads plain str as markup ("[/red]" crashes, "[b]" vanishes) and ":smile:" as an
    # emoji; Text objects are shown as they are.
    rich_table = RichTable(title=Text(literal(table.title)) if table.title else None,
                           box=box.SIMPLE_HEAD, header_style="bold")
    for column in table.columns:
        rich_table.add_column(Text(literal(column.title)),
                              justify="left" if column.kind == "text" else "right", no_wrap=True)
    previous = None
    for row in table.rows:
        style = row.style
        if style == "total" or (style == "subtotal" and previous not in (None, "subtotal")
                                and row is not table.rows[0]):
            rich_table.add_section()
        rich_table.add_row(*map(Text, _cells(table, row, exact)),
                           style={"total": "bold", "subtotal": "bold cyan"}.get(style))
        previous = "indented" if row.indent else style
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=max(200, _width(table, exact)),
                      highlight=False)
    console.print(rich_table)
    for line in table.footer:
        console.print(Text(literal(line), style="dim"), soft_wrap=True)
    return buffer.getvalue()


def _width(table: Table, exact: bool) -> int:
    rows = [[literal(c.title) for c in table.columns]] + [_cells(table, r, exact)
                                                          for r in table.rows]
    return sum(max(len(r[i]) for r in rows) + 3 for i in range(len(table.columns))) + 4


def render_plain(table: Table, exact: bool = False) -> str:
    """Aligned text: text columns left, numbers right, a dashed rule under the header and above
    the total, a blank line between blocks."""
    header = [literal(c.title) for c in table.columns]
    body = [_cells(table, r, exact) for r in table.rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    left = [c.kind == "text" for c in table.columns]

    def fmt(cells: list[str]) -> str:
        parts = [cell.ljust(w) if is_left else cell.rjust(w)
                 for cell, w, is_left in zip(cells, widths, left)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [literal(table.title), ""] if table.title else []
    lines += [fmt(header), rule]
    for index, (row, cells) in enumerate(zip(table.rows, body)):
        style = row.style
        if style == "total" and index:
            lines.append(rule)
        elif style == "subtotal" and index and table.rows[index - 1].indent:
            lines.append("")
        elif row.section and index:
            lines.append("")
        lines.append(fmt(cells))
    if table.footer:
        lines.append("")
        lines += map(literal, table.footer)
    return "\n".join(lines) + "\n"
