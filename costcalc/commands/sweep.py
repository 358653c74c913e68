"""``costcalc sweep``: one model over a grid of parameters, one grid per metric (v1 Tables 6-7)."""
from __future__ import annotations

from enum import Enum
from typing import Any, Optional

import typer

from costcalc.cli import app
from costcalc.commands import options, variants
from costcalc.commands.report import EXACT, FORMAT
from costcalc.render import Format

METRICS = (("macs", "MACs"), ("params", "params"), ("activations", "activations"))


class Layout(str, Enum):
    """grid: rows = all axes but the last, columns = the last axis; long: one row per point."""

    grid = "grid"
    long = "long"


@app.command()
def sweep(
    model: str = typer.Argument(..., help="Zoo name or spec path, optionally MODEL:NAME=VALUE,..."),
    alpha: Optional[str] = variants.ALPHAS,
    res: Optional[str] = variants.RESES,
    classes: Optional[str] = variants.CLASSESES,
    set_: Optional[list[str]] = variants.SETS,
    convention: str = options.CONVENTION,
    layout: Layout = typer.Option(Layout.grid, "--layout", "-l",
                                  help="grid: one grid per metric (last axis across); "
                                       "long: one row per parameter point."),
    max_points: int = variants.MAX_POINTS_OPTION,
    device: Optional[str] = typer.Option(None, "--device", "-D",
                                         help="Add predicted latency on this device profile "
                                              "as a fourth metric (costcalc latency)."),
    dtype: Optional[str] = typer.Option(None, "--dtype", "-t",
                                        help="Element type for --device (default: the "
                                             "device's)."),
    format: Format = FORMAT,
    exact: bool = EXACT,
) -> None:
    """MACs, params and activations of MODEL at every combination of the given values.

    The grid layout prints what the papers print: one grid per metric, rows = the first
    axes (e.g. alpha), columns = the last axis (e.g. resolution). --layout long prints one
    row per point, like MobileNet v2's 22-row table.

    Examples:

        costcalc sweep v1 --alpha 1,0.75,0.5,0.25 --res 224,192,160,128

        costcalc sweep v2 --alpha 0.35,0.5,0.75,1,1.3,1.4 --res 96,128,160,192,224 --layout long

        costcalc sweep v2 --set t=1,2,4,6 --format csv
    """
    from costcalc.render import render

    table = sweep_table(model, variants.axes(alpha, res, classes, set_), convention, layout,
                        max_points, device, dtype)
    typer.echo(render(table, format, exact=exact), nl=False)


def _evaluate(spec, axes, base, convention):
    """evaluate_grid over all axes; on a terminal, row by row of the first axis with a progress
    bar on stderr."""
    import sys

    from costcalc.grid import evaluate_grid
    from costcalc.render.terminal import markup, use_color

    first, *rest = list(axes)
    total = 1
    for values in axes.values():
        total *= len(values)
    if total < 2 or not use_color(sys.stderr):
        return evaluate_grid(spec, axes, base, convention)
    from rich.console import Console
    from rich.progress import Progress

    results = []
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"sweeping {markup(spec.name)}", total=total)
        for value in axes[first]:
            chunk = evaluate_grid(spec, {first: [value], **{k: axes[k] for k in rest}}, base,
                                  convention)
            results += chunk
            progress.advance(task, len(chunk))
    return results


def sweep_table(model: str, axes: dict[str, list[str]], convention: str = "paper",
                layout: Layout | str = Layout.grid, max_points: int | None = None,
                device: str | None = None, dtype: str | None = None):
    """The sweep Table (library entry point of the command); ``max_points`` caps the grid,
    ``device`` adds latency."""
    from costcalc.analysis import json_value
    from costcalc.api import load
    from costcalc.conventions import get
    from costcalc.errors import UsageError
    from costcalc.table import Column, Table

    if not axes:
        raise UsageError("sweep needs at least one axis: --alpha, --res, --classes or "
                         "--set NAME=V1,V2,...")
    variants.check_points(axes, max_points)
    name, base = variants.parse_variant(model)
    spec = load(name)
    rules = get(convention)
    results = _evaluate(spec, axes, base, convention)
    names = list(axes)
    points = [{"parameters": {k: json_value(v) for k, v in values.items()},
               **{k: getattr(total, k) for k, _ in METRICS}} for values, total in results]
    metrics = METRICS
    if device is not None or dtype is not None:
        metrics = METRICS + _latency(name, results, points, device, dtype)
    coords = [tuple(variants.shown(values[n]) for n in names) for values, _ in results]
    data: dict[str, Any] = {"model": spec.name, "convention": rules.name,
                            "axes": {n: _unique(c[i] for c in coords) for i, n in enumerate(names)},
                            "points": points}
    footer = [f"convention: {rules.name}: {rules.description}",
              f"fixed: {variants.label(spec.name, base)}" if base else f"model: {spec.name}"]
    axis_text = " x ".join(names)
    if Layout(layout) == Layout.long or len(names) == 1:
        columns = [Column(n, n) for n in names] + [Column(k, t, _kind(k)) for k, t in metrics]
        rows = [{**dict(zip(names, c)), **{k: p[k] for k, _ in metrics}}
                for c, p in zip(coords, points)]
        return Table(f"{spec.name} by {axis_text} ({rules.name} convention)", columns, rows,
                     footer, data)
    *row_axes, col_axis = names
    col_values = data["axes"][col_axis]
    row_keys = _unique(c[:-1] for c in coords)
    lookup = {c: p for c, p in zip(coords, points)}
    columns = [Column("metric", "metric")] + [Column(n, n) for n in row_axes]
    columns += [Column(f"{col_axis}={v}", f"{_short(col_axis)} {v}", "count") for v in col_values]
    rows = []
    grids: dict[str, list[list[Any]]] = {}
    for key, title in metrics:
        grids[key] = []
        for index, row_key in enumerate(row_keys):
            cells = [lookup[row_key + (v,)][key] for v in col_values]
            grids[key].append(cells)
            row = {"metric": title, **dict(zip(row_axes, row_key)),
                   **{f"{col_axis}={v}": cell for v, cell in zip(col_values, cells)}}
            if index == 0:
                row["_section"] = True
            rows.append(row)
    data["grids"] = grids
    return Table(f"{spec.name}: MACs, params and activations by {axis_text} "
                 f"({rules.name} convention)", columns, rows, footer, data)


def _latency(model, results, points, device, dtype) -> tuple:
    """Predicted latency of every point (costcalc.latency), added to ``points``."""
    from costcalc.errors import UsageError
    from costcalc.latency.budget import latency_ms

    if device is None:
        raise UsageError("--dtype goes with --device")
    for (values, _), point in zip(results, points):
        point["latency_ms"] = latency_ms(model, values, device, dtype)
    return (("latency_ms", f"latency ms ({device})"),)


def _kind(key: str) -> str:
    return "number" if key == "latency_ms" else "count"


def _short(name: str) -> str:
    return {"resolution": "res"}.get(name, name)


def _unique(items) -> list:
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
