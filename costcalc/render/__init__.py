"""Output formats: each renders a neutral Table to text; modules load on demand."""
from __future__ import annotations

from enum import Enum
from importlib import import_module

from costcalc.table import Table


class Format(str, Enum):
    """The formats every command supports (``--format``)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"
    html = "html"
    pgfplots = "pgfplots"


_MODULES = {
    Format.table: ("costcalc.render.terminal", "render"),
    Format.json: ("costcalc.render.records", "render_json"),
    Format.csv: ("costcalc.render.records", "render_csv"),
    Format.markdown: ("costcalc.render.markdown", "render"),
    Format.latex: ("costcalc.render.latex", "render"),
    Format.html: ("costcalc.plot.hooks", "render_html"),
    Format.pgfplots: ("costcalc.plot.hooks", "render_pgfplots"),
}


def render(table: Table, fmt: Format | str, **options) -> str:
    """``table`` as text in format ``fmt``."""
    module, function = _MODULES[Format(fmt)]
    return getattr(import_module(module), function)(table, **options)
