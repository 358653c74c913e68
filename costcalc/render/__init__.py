"""Output formats: each renders a neutral Table to text; modules load on demand."""
from __future__ import annotations

from enum import Enum
from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Callable

from costcalc.errors import UsageError
from costcalc.table import Table

from collections.abc import Iterator


class Format(str, Enum):
    """The formats every command supports (``--format``)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"
    html = "html"
    pgfplots = "pgfplots"


# Formats this package renders itself: (module, function), imported on first use.
_OWN = {
    Format.table: ("costcalc.render.terminal", "render"),
    Format.json: ("costcalc.render.records", "render_json"),
    Format.csv: ("costcalc.render.records", "render_csv"),
    Format.markdown: ("costcalc.render.markdown", "render"),
    Format.latex: ("costcalc.render.latex", "render"),
}
# Formats a higher layer draws (html and pgfplots come from costcalc.plot): that layer
# registers a loader here, so this package never names it.
_LOADERS: dict[Format, Callable[[], Callable[..., str]]] = {}


def register(fmt: Format | str, loader: Callable[[], Callable[..., str]]) -> None:
    """Make ``fmt`` renderable: ``loader()`` returns its ``render(table, **options)`` function
    (called on first use, so registering costs no import)."""
    _LOADERS[Format(fmt)] = loader


# Formats that read ``Table.data`` (the machine-readable content) and the one that reads only it:
# a command builds the part its output reads, and nothing else.
DATA_FORMATS = frozenset({Format.json, Format.html, Format.pgfplots})


def reads_data(fmt: Format | str) -> bool:
    """Whether format ``fmt`` reads ``Table.data``."""
    return Format(fmt) in DATA_FORMATS


def reads_rows(fmt: Format | str) -> bool:
    """Whether format ``fmt`` reads the rows of a table that has ``data`` (JSON does not)."""
    return Format(fmt) is not Format.json


def render_pieces(table: Table, fmt: Format | str, **options) -> Iterator[str]:
    """``render(table, fmt, **options)`` in pieces whose concatenation is that text: JSON a
    piece at a time (a long report is written as it is made), other formats in one piece."""
    fmt = Format(fmt)
    if fmt is Format.json:
        from costcalc.render.records import json_pieces

        return json_pieces(table, **options)
    return iter((render(table, fmt, **options),))


def render(table: Table, fmt: Format | str, **options) -> str:
    """``table`` as text in format ``fmt``."""
    fmt = Format(fmt)
    if fmt in _OWN:
        module, function = _OWN[fmt]
        return getattr(import_module(module), function)(table, **options)
    if fmt not in _LOADERS:
        raise UsageError(f"--format {fmt.value} is not available (its package did not register it)")
    return _LOADERS[fmt]()(table, **options)
