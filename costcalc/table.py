"""The neutral table every command produces and every output format renders."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence


@dataclass(frozen=True)
class Column:
    """A column: ``key`` in each row dict, ``title`` shown, ``kind`` decides formatting.

    kinds: text, count (exact int, humanised in the terminal), percent (float 0..100),
    ratio (float), number (exact rational or float), expr (sympy expression).

    How a terminal narrower than the table shows it (the other formats show every column):
    ``priority`` 0 keeps the column, higher numbers are left out first; ``shrink`` lets a text
    column be cut short with an ellipsis, after trying its ``short`` forms (pairs of long and
    short text replaced in its cells); ``same_as`` names a column this one repeats, so it is
    shown only where the two differ.
    """

    key: str
    title: str
    kind: str = "text"
    priority: int = 0
    shrink: bool = False
    same_as: str = ""
    short: tuple[tuple[str, str], ...] = ()


class Row:
    """One row: cell values by column key, and how the row is set apart.

    Reads and writes like a mapping of its cells (``row["macs"]``, ``row.get("paper")``).
    """

    __slots__ = ("cells", "style", "indent", "section")

    def __init__(self, cells: dict[str, Any], style: str = "", indent: int = 0,
                 section: bool = False):
        self.cells = cells
        self.style = style      # "", "subtotal" or "total"
        self.indent = indent    # levels under the subtotal row above it
        self.section = section  # first row of a new section (a rule above it)

    def __repr__(self) -> str:
        return f"Row({self.cells!r}, style={self.style!r}, indent={self.indent})"

    def __getitem__(self, key: str) -> Any:
        return self.cells[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.cells[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.cells

    def get(self, key: str, default: Any = None) -> Any:
        return self.cells.get(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.cells.update(*args, **kwargs)


@dataclass
class Table:
    """Rows under columns, with a title and footer lines.

    ``rows`` may be given as plain dicts (cells keyed by column key) or as ``Row``; they are
    kept as ``Row``. ``data`` is extra machine-readable content the JSON renderer includes as is.
    """

    title: str
    columns: list[Column]
    rows: list[Row]
    footer: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = [row if isinstance(row, Row) else Row(row) for row in self.rows]

    def select(self, names: Sequence[str]) -> "Table":
        """The table with the columns ``names`` (keys or titles, any case) in that order.

        Chosen columns are all shown: a narrow terminal shortens their text but leaves none out.
        An unknown name is refused with the list of names this table has.
        """
        from costcalc.errors import UsageError

        by_name: dict[str, Column] = {}
        for column in self.columns:
            by_name.setdefault(column.key.lower(), column)
            by_name.setdefault(column.title.strip().lower(), column)
        chosen: list[Column] = []
        for name in names:
            column = by_name.get(name.strip().lower())
            if column is None:
                keys = ", ".join(c.key for c in self.columns)
                raise UsageError(f"--columns: no column {name.strip()!r}; this table has: {keys}")
            if column.key not in {c.key for c in chosen}:
                chosen.append(replace(column, priority=0, same_as=""))
        if not chosen:
            raise UsageError("--columns: give at least one column name")
        return replace(self, columns=chosen)
