"""The sweep table: one model over a grid of parameters, one grid per metric (v1 Tables 6-7)."""
from __future__ import annotations

from typing import Any, Callable

from costcalc.costing import variants
from costcalc.costing.conventions import get
from costcalc.costing import grid
from costcalc.costing.report import json_value
from costcalc.costing.variants import METRICS
from costcalc.errors import UsageError
from costcalc.spec.models import load
from costcalc.table import Column, Row, Table


def sweep_table(model: str, axes: dict[str, list[str]], convention: str = "paper",
                layout: str = "grid", evaluate: Callable | None = None,
                max_points: int | None = None, extra: Callable | None = None) -> Table:
    """The sweep Table (library entry point of the command).

    ``layout`` is ``grid`` (rows = all axes but the last, columns = the last axis) or ``long``
    (one row per point). ``evaluate`` replaces ``evaluate_grid`` (same arguments and result);
    the command line passes one that shows a progress bar. ``max_points`` caps the grid.
    ``extra(model, results, points)`` adds metrics of its own to each point and returns their
    ``(key, title)`` pairs (``costcalc.latency.compare.latency_metric`` adds latency).
    """
    if not axes:
        raise UsageError("sweep needs at least one axis: --alpha, --res, --classes or "
                         "--set NAME=V1,V2,...")
    variants.check_points(axes, max_points)
    name, base = variants.parse_variant(model)
    spec = load(name)
    rules = get(convention)
    results = (evaluate or grid.evaluate_grid)(spec, axes, base, convention)
    names = list(axes)
    points = [{"parameters": {k: json_value(v) for k, v in values.items()},
               **{k: getattr(total, k) for k, _ in METRICS}} for values, total in results]
    metrics = METRICS + (extra(name, results, points) if extra is not None else ())
    coords = [tuple(variants.shown(values[n]) for n in names) for values, _ in results]
    data: dict[str, Any] = {"model": spec.name, "convention": rules.name,
                            "axes": {n: _unique(c[i] for c in coords) for i, n in enumerate(names)},
                            "points": points}
    footer = [f"convention: {rules.name}: {rules.description}",
              f"fixed: {variants.label(spec.name, base)}" if base else f"model: {spec.name}"]
    axis_text = " x ".join(names)
    if layout == "long" or len(names) == 1:
        return Table(f"{spec.name} by {axis_text} ({rules.name} convention)",
                     *_long(names, coords, points, metrics), footer, data)
    columns, rows, data["grids"] = _grids(names, coords, points, data["axes"], metrics)
    return Table(f"{spec.name}: MACs, params and activations by {axis_text} "
                 f"({rules.name} convention)", columns, rows, footer, data)


def _long(names: list[str], coords: list[tuple], points: list[dict], metrics: tuple):
    """Columns and rows of the long layout: one row per point."""
    columns = [Column(n, n) for n in names] + [Column(k, t, _kind(k)) for k, t in metrics]
    rows = [{**dict(zip(names, c)), **{k: p[k] for k, _ in metrics}}
            for c, p in zip(coords, points)]
    return columns, rows


def _kind(key: str) -> str:
    return "number" if key == "latency_ms" else "count"


def _grids(names: list[str], coords: list[tuple], points: list[dict], axes: dict,
           metrics: tuple):
    """Columns, rows and per-metric grids of the grid layout: the last axis across."""
    *row_axes, col_axis = names
    col_values = axes[col_axis]
    row_keys = _unique(c[:-1] for c in coords)
    lookup = dict(zip(coords, points))
    columns = [Column("metric", "metric")] + [Column(n, n) for n in row_axes]
    columns += [Column(f"{col_axis}={v}", f"{_short(col_axis)} {v}", "count") for v in col_values]
    rows = []
    grids: dict[str, list[list[Any]]] = {}
    for key, title in metrics:
        grids[key] = []
        for index, row_key in enumerate(row_keys):
            cells = [lookup[row_key + (v,)][key] for v in col_values]
            grids[key].append(cells)
            rows.append(Row({"metric": title, **dict(zip(row_axes, row_key)),
                             **{f"{col_axis}={v}": cell for v, cell in zip(col_values, cells)}},
                            section=index == 0))
    return columns, rows, grids


def _short(name: str) -> str:
    return {"resolution": "res"}.get(name, name)


def _unique(items) -> list:
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
