"""Terminal renderer: a rich table on a colour terminal, plain aligned text otherwise.

Plain text (a pipe, a file, ``NO_COLOR``) has no colour codes and no box drawing: columns
separated by two spaces under a dashed header rule, so it diffs, greps and pastes cleanly.
On a terminal the table fits its width (``COLUMNS`` or the real size): columns are left out
by priority, long text is cut short, notes wrap at words, and a footer line names what was
left out; a number is never split or cut. Output to a pipe or a file is never narrowed.
Every text (title, headers, cells, footer) is shown literally: rich never reads it as markup
or emoji codes, and control characters are written as visible escapes (``literal``).
"""
from __future__ import annotations

import io
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Callable

from costcalc.render import fit
from costcalc.render.cells import plain
from costcalc.render.controls import visible
from costcalc.table import Row, Table

INDENT = "  "


def is_terminal(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def use_color(stream: Any = None) -> bool:
    """Colour and box art only on a terminal and when ``NO_COLOR`` is unset."""
    return is_terminal(stream) and not os.environ.get("NO_COLOR")


def terminal_width(stream: Any = None) -> int | None:
    """The width to fit on a terminal (``COLUMNS`` first, then the terminal's size); None, the
    full table, when the output goes to a pipe or a file."""
    if not is_terminal(stream):
        return None
    import shutil  # only a terminal needs it (shutil loads the compression modules)

    return shutil.get_terminal_size().columns


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


def layout(table: Table, exact: bool, width: int | None, overhead: Callable[[int], int]
           ) -> tuple[Table, list[str], list[list[str]], list[int]]:
    """What to show within ``width``: the fitted table (its footer wrapped and noting the
    columns left out), header cells, body cells and column widths. ``width`` None: all."""
    header = [literal(c.title) for c in table.columns]
    body = [_cells(table, r, exact) for r in table.rows]
    natural = {c.key: max(len(line[i]) for line in [header, *body])
               for i, c in enumerate(table.columns)}
    if width is None:
        return table, header, body, list(natural.values())
    if sum(natural.values()) + overhead(len(natural)) > width:  # too wide: short forms first
        short = [i for i, c in enumerate(table.columns) if c.short]
        for line in body:
            for i in short:
                line[i] = fit.abbreviate(line[i], table.columns[i])
        natural.update({table.columns[i].key: max(len(line[i]) for line in [header, *body])
                        for i in short})
    columns, sizes, dropped = fit.choose(table, natural, width, overhead)
    index = [table.columns.index(c) for c in columns]
    header = [header[i] for i in index]
    body = [[fit.cut(line[i], sizes[table.columns[i].key]) for i in index] for line in body]
    footer = list(table.footer) + ([fit.left_out_note(dropped, width)] if dropped else [])
    shown = fit.fitted(table, columns).replace(footer=fit.wrap(map(literal, footer), width))
    return shown, header, body, [sizes[c.key] for c in columns]


def render(table: Table, exact: bool = False, color: bool | None = None,
           width: int | None = None, **_: Any) -> str:
    """The table for a terminal; ``width`` (default: the terminal's, None in a pipe) fits it."""
    if color is None:
        color = use_color()
    if width is None:
        width = terminal_width()
    if not color:
        return render_plain(table, exact, width)
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    # rich reads plain str as markup ("[/red]" crashes, "[b]" vanishes) and ":smile:" as an
    # emoji; Text objects are shown as they are.
    # SIMPLE_HEAD: three spaces between columns, and two at each edge unless fitting a width
    edge = 4 if width is None else 2
    table, header, body, _widths = layout(table, exact, width, lambda n: 3 * (n - 1) + edge)
    rich_table = RichTable(title=Text(literal(table.title)) if table.title else None,
                           box=box.SIMPLE_HEAD, header_style="bold", pad_edge=width is None)
    for column, title in zip(table.columns, header):
        rich_table.add_column(Text(title),
                              justify="left" if column.kind == "text" else "right", no_wrap=True)
    previous = None
    for row, cells in zip(table.rows, body):
        style = row.style
        if style == "total" or (style == "subtotal" and previous not in (None, "subtotal")
                                and row is not table.rows[0]):
            rich_table.add_section()
        rich_table.add_row(*map(Text, cells),
                           style={"total": "bold", "subtotal": "bold cyan"}.get(style))
        previous = "indented" if row.indent else style
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True,
                      width=max(width or 200, sum(_widths) + 3 * (len(_widths) - 1) + edge),
                      highlight=False)
    console.print(rich_table)
    for line in table.footer:  # already wrapped to the width when fitted
        console.print(Text(literal(line), style="dim"), soft_wrap=True)
    return buffer.getvalue()


def render_plain(table: Table, exact: bool = False, width: int | None = None) -> str:
    """Aligned text: text columns left, numbers right, a dashed rule under the header and above
    the total, a blank line between blocks; fitted to ``width`` when given."""
    table, header, body, widths = layout(table, exact, width, lambda n: 2 * (n - 1))
    left = [c.kind == "text" for c in table.columns]

    def fmt(cells: list[str]) -> str:
        parts = [cell.ljust(w) if is_left else cell.rjust(w)
                 for cell, w, is_left in zip(cells, widths, left)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    title = fit.wrap([literal(table.title)], width) if width and table.title else \
        [literal(table.title)]
    lines = [*title, ""] if table.title else []
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
