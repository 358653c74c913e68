"""Terminal renderer: a rich table on a colour terminal, plain aligned text otherwise.

Plain text (a pipe, a file, ``NO_COLOR``) has no colour codes and no box drawing: columns
separated by two spaces under a dashed header rule, so it diffs, greps and pastes cleanly.
"""
from __future__ import annotations

import io
import os
import sys
from typing import Any

from costcalc.render.cells import plain
from costcalc.table import Row, Table

INDENT = "  "


def use_color(stream: Any = None) -> bool:
    """Colour and box art only on a terminal and when ``NO_COLOR`` is unset."""
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def _cells(table: Table, row: Row, exact: bool) -> list[str]:
    cells = [plain(row.get(c.key), c.kind, exact) for c in table.columns]
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

    rich_table = RichTable(title=table.title or None, box=box.SIMPLE_HEAD, header_style="bold")
    for column in table.columns:
        rich_table.add_column(column.title, justify="left" if column.kind == "text" else "right",
                              no_wrap=True)
    previous = None
    for row in table.rows:
        style = row.style
        if style == "total" or (style == "subtotal" and previous not in (None, "subtotal")
                                and row is not table.rows[0]):
            rich_table.add_section()
        rich_table.add_row(*_cells(table, row, exact),
                           style={"total": "bold", "subtotal": "bold cyan"}.get(style))
        previous = "indented" if row.indent else style
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=max(200, _width(table, exact)),
                      highlight=False)
    console.print(rich_table)
    for line in table.footer:
        console.print(line, markup=False, soft_wrap=True, style="dim")
    return buffer.getvalue()


def _width(table: Table, exact: bool) -> int:
    rows = [[c.title for c in table.columns]] + [_cells(table, r, exact) for r in table.rows]
    return sum(max(len(r[i]) for r in rows) + 3 for i in range(len(table.columns))) + 4


def render_plain(table: Table, exact: bool = False) -> str:
    """Aligned text: text columns left, numbers right, a dashed rule under the header and above
    the total, a blank line between blocks."""
    header = [c.title for c in table.columns]
    body = [_cells(table, r, exact) for r in table.rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    left = [c.kind == "text" for c in table.columns]

    def fmt(cells: list[str]) -> str:
        parts = [cell.ljust(w) if is_left else cell.rjust(w)
                 for cell, w, is_left in zip(cells, widths, left)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [table.title, ""] if table.title else []
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
        lines += table.footer
    return "\n".join(lines) + "\n"
