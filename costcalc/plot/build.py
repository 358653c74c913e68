"""From a plot request to the commands' JSON data and on to chart text.

This is the one place the plot package calls the engine: each chart's input is what the
corresponding command prints with ``--format json`` (parsed back), so chart and JSON agree.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from costcalc.errors import UsageError

FORMULA_ALPHAS = [f"{n / 100:g}" for n in range(25, 141, 5)]
MAX_FORMULA_POINTS = 200  # each point derives the closed form again


@dataclass
class Request:
    """What ``costcalc plot`` was asked for."""

    kind: str
    models: list[str]
    axes: dict[str, list[str]] = field(default_factory=dict)
    convention: str = "paper"
    accuracy: str | None = None
    split: str | None = None
    dtype: str | None = None
    block: str | None = None


def command_json(table) -> dict[str, Any]:
    """A command's Table as the exact dict its ``--format json`` prints."""
    from costcalc.render import render

    return json.loads(render(table, "json"))


def _one_model(request: Request) -> str:
    if len(request.models) != 1:
        raise UsageError(f"plot {request.kind} takes one MODEL, got {len(request.models)}")
    return request.models[0]


def _point(request: Request) -> tuple[str, dict[str, str]]:
    """The model and its parameter overrides (MODEL:NAME=VALUE plus single-valued axes)."""
    from costcalc.costing import variants

    model, settings = variants.parse_variant(_one_model(request))
    for name, values in request.axes.items():
        if len(values) != 1:
            raise UsageError(f"plot {request.kind} draws one point; give one value for {name}")
        settings[name] = values[0]
    return model, settings


def report_json(request: Request) -> dict[str, Any]:
    """``costcalc report MODEL --format json``."""
    from costcalc.costing.analyze import analyze
    from costcalc.costing.report_table import report_table

    model, settings = _point(request)
    return command_json(report_table(analyze(model, request.convention, **settings)))


def graph_json(request: Request) -> dict[str, Any]:
    """The report JSON plus each layer's inputs (layer names; ``input`` is the image)."""
    from costcalc.costing.analyze import analyze
    from costcalc.costing.report_table import report_table

    model, settings = _point(request)
    result = analyze(model, request.convention, **settings)
    data = command_json(report_table(result))
    nodes = result.graph.nodes
    for layer, node in zip(data["layers"], nodes):
        layer["inputs"] = [nodes[i].name if i >= 0 else "input" for i in node.inputs]
    return data


def sweep_json(request: Request) -> dict[str, Any]:
    """``costcalc sweep MODEL --alpha ... --res ... --format json``."""
    from costcalc.costing.sweep import sweep_table

    return command_json(sweep_table(_one_model(request), request.axes, request.convention))


def memory_json(request: Request) -> dict[str, Any]:
    """``costcalc memory MODEL [--split G] --format json``."""
    from costcalc.costing import conventions
    from costcalc.costing.analyze import resolve
    from costcalc.spec.models import load
    from costcalc.memory import tables as memory_tables
    from costcalc.memory.liveness import dtype_bytes
    from costcalc.memory.split import parse_split

    model, settings = _point(request)
    dtype = request.dtype or "fp32"
    dtype_bytes(dtype)
    spec = load(model)
    graph = spec.build(resolve(spec, settings, conventions.get("paper")))
    if request.split is None:
        return command_json(memory_tables.layers_table(graph, dtype))
    return command_json(memory_tables.split_table(graph, dtype, parse_split(request.split)))


def formula_json(request: Request) -> dict[str, Any]:
    """``costcalc formula MODEL --alpha A --format json`` at each alpha (its totals and gaps)."""
    from costcalc.spec.models import load
    from costcalc.costing import variants
    from costcalc.symbolic.layers import layer_formulas
    from costcalc.symbolic.tables import layer_table
    from costcalc.symbolic.derive import derive

    model, settings = variants.parse_variant(_one_model(request))
    axes = dict(request.axes)
    alphas = axes.pop("alpha", None)
    for name, values in axes.items():
        if len(values) != 1:
            raise UsageError(f"plot formula sweeps alpha only; give one value for {name}")
        settings[name] = values[0]
    spec = load(model)
    if "alpha" not in spec.parameters:
        raise UsageError(f"{spec.name} has no 'alpha' parameter to plot the formula against")
    if alphas is not None and len(alphas) > MAX_FORMULA_POINTS:
        raise UsageError(f"plot formula takes at most {MAX_FORMULA_POINTS} alphas, got "
                         f"{len(alphas)}")
    points = []
    for alpha in alphas or FORMULA_ALPHAS:
        result = derive(spec, {**settings, "alpha": alpha}, request.convention)
        data = command_json(layer_table(result, layer_formulas(result, False)))
        points.append({k: data[k] for k in ("parameters", "total", "exact", "gap")})
    return {"model": spec.name, "convention": request.convention, "points": points}


def pareto_json(request: Request) -> dict[str, Any]:
    """Accuracies (published set or user file) joined to ``costcalc compare`` of their variants."""
    from costcalc.costing.compare import compare_table
    from costcalc.plot import accuracy
    from costcalc.plot.pareto import pareto_data

    if request.axes:
        raise UsageError("plot pareto takes its variants from the accuracy set or file; "
                         "leave out --alpha/--res/--set")
    choice = request.accuracy
    if choice is None:
        if len(request.models) != 1:
            raise UsageError("plot pareto needs --accuracy SET|FILE, or one zoo model with "
                             "published accuracies (v1, v2, v3-large, ...)")
        sets = accuracy.sets_for(request.models[0])
        if not sets:
            raise UsageError(f"no published accuracies for {request.models[0]!r}; give "
                             "--accuracy FILE (variant,top1)")
    _, published = accuracy.published()
    if choice is None:  # the set with the most variants of the model (v1: all 16 of Figure 4)
        choice = max(sets, key=lambda name: sum(e.variant.partition(":")[0] == request.models[0]
                                                for e in published[name]))
    entries = published[choice] if choice in published else accuracy.load(choice)
    if request.models:
        wanted = set(request.models)
        entries = [e for e in entries if e.variant.partition(":")[0] in wanted]
        if not entries:
            raise UsageError(f"no accuracy rows for {', '.join(request.models)} in {choice}")
    compare = command_json(compare_table([e.variant for e in entries], {}, request.convention))
    title = f"ImageNet top-1 against cost ({choice}; {request.convention} convention)"
    return pareto_data(entries, compare, title)


DATA = {"layers": report_json, "diagram": graph_json, "sweep": sweep_json,
        "memory": memory_json, "formula": formula_json, "pareto": pareto_json}


def chart(kind: str, data: dict[str, Any], **options: Any) -> str:
    """The SVG of chart ``kind`` from its data."""
    from importlib import import_module

    module = {"layers": "layers", "diagram": "diagram", "sweep": "sweep", "memory": "memory",
              "formula": "formula", "pareto": "pareto"}[kind]
    return import_module(f"costcalc.plot.{module}").chart(data, **options)


def output(request: Request, suffix: str) -> str | bytes:
    """The file content for ``--out`` with this suffix (.svg, .html, .tex; .png, .pdf bytes)."""
    data = DATA[request.kind](request)
    if suffix == ".tex":
        from costcalc.plot import pgfplots

        return pgfplots.render(request.kind, data)
    options = {"show_split": request.split is not None} if request.kind == "memory" else {}
    if request.kind == "diagram" and request.block:
        options["block"] = request.block
    svg = chart(request.kind, data, **options)
    if suffix in (".png", ".pdf"):
        from costcalc.plot import raster

        return raster.render(svg, suffix[1:])
    if suffix in (".html", ".htm"):
        from costcalc.plot import html

        return html.page(svg_title(request, data), [svg], data)
    return svg


def svg_title(request: Request, data: dict[str, Any]) -> str:
    return f"costcalc plot {request.kind}: {data.get('model') or ', '.join(request.models)}"
