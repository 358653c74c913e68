"""Terminal renderer: a rich table, or plain aligned text when stdout is not a terminal."""
from __future__ import annotations

import io
import os
import sys
from typing import Any

from costcalc.render.cells import plain
from costcalc.table import Table


def render(table: Table, exact: bool = False, color: bool | None = None, **_: Any) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable

    if color is None:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    rich_table = RichTable(title=table.title or None, box=box.SIMPLE_HEAD if color else box.ASCII2,
                           show_edge=color)
    for column in table.columns:
        rich_table.add_column(column.title, justify="left" if column.kind == "text" else "right",
                              no_wrap=True)
    for row in table.rows:
        style = {"total": "bold", "subtotal": "dim"}.get(row.get("_style", ""), "")
        rich_table.add_row(*(plain(row.get(c.key), c.kind, exact) for c in table.columns),
                           style=style if color else None)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=200,
                      highlight=False, color_system="auto" if color else None)
    console.print(rich_table)
    for line in table.footer:
        console.print(line, markup=False, soft_wrap=True)
    return buffer.getvalue()
