"""The neutral table every command produces and every output format renders."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A column: ``key`` in each row dict, ``title`` shown, ``kind`` decides formatting.

    kinds: text, count (exact int, humanised in the terminal), percent (float 0..100),
    ratio (float), number (exact rational or float), expr (sympy expression).
    """

    key: str
    title: str
    kind: str = "text"


@dataclass
class Table:
    """Rows of plain values under columns, with a title and footer lines.

    ``rows`` are dicts keyed by column key; a row may carry ``"_style": "subtotal" | "total"``.
    ``data`` is extra machine-readable content that the JSON renderer includes as is.
    """

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    footer: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
