"""A table fitted to a terminal width: columns left out by priority, long text cut short."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Callable, Sequence

from costcalc.table import Column, Table

ELLIPSIS = "…"
MIN_SHRUNK = 8  # a shortened text column keeps at least this many characters (or its title)
READABLE = 20   # ... and this many while a column of lower priority can be left out instead


def _repeats(table: Table, column: Column) -> bool:
    """True when ``column`` shows the same value as its ``same_as`` column on every row."""
    if not column.same_as:
        return False
    return all(row.get(column.key) == row.get(column.same_as) for row in table.rows)


def choose(table: Table, widths: dict[str, int], width: int, overhead: Callable[[int], int]
           ) -> tuple[list[Column], dict[str, int], list[str]]:
    """The columns to show within ``width`` characters, their widths, and the titles left out.

    ``widths`` are the natural widths by column key; ``overhead(n)`` is the space the separators
    of ``n`` columns take. Repeated columns go first, then columns by descending priority (the
    rightmost first among equals), as long as shortening text columns to a readable width
    cannot make room. Numbers are never cut: a number column is shown whole or not at all.
    """
    columns = [c for c in table.columns if not _repeats(table, c)]
    titles = {c.key: c.title.strip() for c in table.columns}
    dropped = [f"{titles[c.key]} (= {titles.get(c.same_as, c.same_as)})"
               for c in table.columns if c not in columns]
    while True:
        sizes = {c.key: widths[c.key] for c in columns}
        need = sum(sizes.values()) + overhead(len(columns)) - width
        if need <= 0:
            return columns, sizes, dropped
        candidates = [c for c in columns if c.priority > 0]
        least = MIN_SHRUNK if not candidates else READABLE
        floors = {c.key: min(sizes[c.key], max(least, len(c.title)))
                  for c in columns if c.shrink}
        if sum(sizes[k] - floors[k] for k in floors) >= need:
            return columns, _shrink(sizes, floors, need), dropped
        if not candidates:  # nothing left to leave out: as narrow as the text allows
            return columns, {**sizes, **floors}, dropped
        victim = max(reversed(candidates), key=lambda c: c.priority)
        columns.remove(victim)
        dropped.append(titles[victim.key])


def _shrink(sizes: dict[str, int], floors: dict[str, int], need: int) -> dict[str, int]:
    """Take ``need`` characters from the widest shrinkable columns first."""
    sizes = dict(sizes)
    for _ in range(need):
        key = max((k for k in floors if sizes[k] > floors[k]), key=lambda k: sizes[k])
        sizes[key] -= 1
    return sizes


def abbreviate(text: str, column: Column) -> str:
    """``text`` with the column's long forms replaced by their short forms."""
    for long, short in column.short:
        text = text.replace(long, short)
    return text


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ending in an ellipsis when shortened (at a word
    boundary when one is near)."""
    if len(text) <= width:
        return text
    head = text[:width - 1]
    space = head.rfind(" ")
    if space >= width // 2:
        head = head[:space]
    return head.rstrip(" ,;") + ELLIPSIS


def wrap(lines: Sequence[str], width: int) -> list[str]:
    """Footer lines wrapped at spaces, continuation lines indented; a word (a number, a name)
    is never split, even when longer than the line."""
    import textwrap  # a terminal's narrow footer only: a pipe never wraps

    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, width=max(width, 20), subsequent_indent="  ",
                             break_long_words=False, break_on_hyphens=False) or [""]
    return out


def left_out_note(dropped: Sequence[str], width: int) -> str:
    """The footer line naming the columns a narrow terminal left out."""
    return (f"not shown at {width} columns: {', '.join(dropped)} "
            "(a wider terminal, --columns, or a pipe shows them)")


def fitted(table: Table, columns: list[Column]) -> Table:
    """``table`` with only ``columns`` (rows keep every cell)."""
    return table.replace(columns=columns)
