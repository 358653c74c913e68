"""``--format html`` and ``--format pgfplots`` for the commands: a Table (and its JSON data)
in, a self-contained page or a tikzpicture out. The chart is chosen by the data's shape."""
from __future__ import annotations

import json
from typing import Any

from costcalc.errors import UsageError


def chart_kind(data: dict[str, Any]) -> str | None:
    """Which chart a command's JSON data draws: report, compare, sweep, memory or none."""
    if "blocks" in data and "op_classes" in data and "layers" in data:
        return "layers"
    if "variants" in data and "baseline" in data:
        return "compare"
    if "axes" in data and "points" in data:
        return "sweep"
    if "peak_bytes" in data and "layers" in data and data["layers"] \
            and "live_bytes" in data["layers"][0]:
        return "memory"
    return None


def _data(table) -> dict[str, Any]:
    from costcalc.render.records import render_json

    return json.loads(render_json(table)) if table.data else {}


def render_html(table, **_: Any) -> str:
    """The page: the table's footer as notes, its chart(s) when the data has one, the table."""
    from importlib import import_module

    from costcalc.plot import html

    data = _data(table)
    kind = chart_kind(data)
    charts = []
    if kind is not None:
        module = import_module(f"costcalc.plot.{kind}")
        if kind == "memory":
            split = any(c.key == "split_peak_bytes" for c in table.columns)
            charts.append(module.chart(data, show_split=split))
        else:
            charts.append(module.chart(data))
    return html.page(f"costcalc: {table.title}", charts, data, table=table, notes=table.footer)


def render_pgfplots(table, **_: Any) -> str:
    """pgfplots of a sweep's data (one axis per metric)."""
    from costcalc.plot import pgfplots

    data = _data(table)
    if chart_kind(data) != "sweep":
        raise UsageError("--format pgfplots is for costcalc sweep (and costcalc plot pareto/sweep "
                         "--out FILE.tex)")
    return pgfplots.render("sweep", data)
