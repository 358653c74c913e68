"""Sweep charts: MACs, params and activations against one axis (alpha) with a line per value
of the others (resolution), and a heat map of the two-axis grid."""
from __future__ import annotations

import math
from typing import Any

from costcalc.plot import data
from costcalc.plot.axes import MARGIN, Scale, frame, heading, human, legend, wants_log
from costcalc.plot.svg import SERIES, document, el, number, title

METRICS = (("macs", "MACs"), ("params", "params"), ("activations", "activations"))
PANEL_W, PANEL_H = 300, 230


def x_axis(names: list[str], values: dict[str, list[Any]]) -> str:
    """The axis drawn across: alpha when swept, else the first numeric axis, else the first."""
    numeric = [n for n in names if all(not isinstance(v, str) for v in values[n])]
    if "alpha" in numeric:
        return "alpha"
    return numeric[0] if numeric else names[0]


def series(sweep: dict[str, Any]) -> tuple[str, list[Any], list[tuple[str, list[dict]]]]:
    """(x axis, its values, [(series label, points along x)]) for the line charts."""
    names, values, points = data.grid(sweep)
    across = x_axis(names, values)
    others = [n for n in names if n != across]
    keys: list[tuple] = [()]
    for name in others:
        keys = [k + (v,) for k in keys for v in values[name]]
    lines = []
    for key in keys:
        fixed = dict(zip(others, key))
        label = ", ".join(f"{n}={data.shown(v)}" for n, v in fixed.items()) or sweep["model"]
        line = []
        for x in values[across]:
            full = tuple(fixed[n] if n != across else x for n in names)
            if full in points:
                line.append(points[full])
        lines.append((label, line))
    return across, values[across], lines


def chart(sweep: dict[str, Any]) -> str:
    """SVG of ``costcalc sweep MODEL ... --format json``: line panels, then a heat map."""
    across, xs, lines = series(sweep)
    numeric = all(not isinstance(x, str) for x in xs)
    colours = {label: SERIES[i % len(SERIES)] for i, (label, _) in enumerate(lines)}
    width = len(METRICS) * (PANEL_W + MARGIN["left"]) + 16
    key, key_height = legend([(label, colours[label]) for label, _ in lines], 8, 28, width - 16)
    body = [heading(f"{sweep['model']}: cost against {across} ({sweep['convention']} "
                    "convention)", 8), key]
    top = 28 + key_height + 30
    for index, (metric, label) in enumerate(METRICS):
        left = MARGIN["left"] + index * (PANEL_W + MARGIN["left"])
        body.append(_panel(lines, colours, across, xs, numeric, metric, label, left, top))
    height = top + PANEL_H + MARGIN["bottom"] + 10
    names = list(sweep["axes"])
    if len(names) == 2:
        heat, heat_height = heatmap(sweep, height + 10)
        body.append(heat)
        height += heat_height + 10
    return document(width, height, body, f"{sweep['model']} sweep", "sweep")


def _panel(lines, colours, across, xs, numeric, metric, label, left, top):
    values = [p[metric] for _, line in lines for p in line]
    log = wants_log(values)
    low = min(values) if log else min(0, min(values))
    y = Scale(low, max(values), top + PANEL_H, top, log=log)
    if numeric:
        xvals = [float(v) for v in xs]
        x = Scale(min(xvals), max(xvals), left, left + PANEL_W)
        position = {v: x(float(v)) for v in xs}
        x_format = lambda t: f"{t:g}"
    else:  # text axis: evenly spaced categories
        x = Scale(-0.5, len(xs) - 0.5, left, left + PANEL_W)
        position = {v: x(i) for i, v in enumerate(xs)}
        x.ticks = []
        x_format = str
    group = el("g", class_="panel", data_metric=metric)
    group.children += frame(x, y, across, label + (" (log scale)" if log else ""),
                            x_format=x_format)
    if not numeric:
        for v in xs:
            group.add(el("text", [data.shown(v)], x=position[v], y=top + PANEL_H + 16,
                         text_anchor="middle"))
    for name, line in lines:
        if not line:
            continue
        xs_line = [(position[data.coordinate(p["parameters"].get(across))], y(p[metric]))
                   for p in line]
        path = "M" + "L".join(f"{number(a)},{number(b)}" for a, b in xs_line)
        series_group = el("g", class_="series", data_series=name)
        series_group.add(el("path", d=path, fill="none", stroke=colours[name], stroke_width=2))
        for (px, py), point in zip(xs_line, line):
            x_value = data.shown(data.coordinate(point["parameters"].get(across)))
            series_group.add(el("circle", [title(f"{name}, {across}={x_value}: "
                                                 f"{point[metric]:,} {label}")],
                                cx=px, cy=py, r=3.5, fill=colours[name], class_="point",
                                data_metric=metric, data_value=point[metric],
                                data_series=name, data_x=x_value))
        group.add(series_group)
    return group


def heatmap(sweep: dict[str, Any], top: float, metric: str = "macs") -> tuple[Any, float]:
    """The two-axis grid of one metric as coloured cells (log colour scale), exact in tooltips."""
    names, values, points = data.grid(sweep)
    rows_axis, cols_axis = names
    cell_w, cell_h = 92, 26
    left = MARGIN["left"] + 40
    group = el("g", class_="heatmap", data_metric=metric)
    group.add(el("text", [f"{dict(METRICS)[metric]} over "
                          f"{rows_axis} x {cols_axis} (colour on a log scale)"],
                 x=8, y=top + 14, font_weight="bold"))
    amounts = [p[metric] for p in points.values() if p[metric] > 0]
    low, high = (math.log10(min(amounts)), math.log10(max(amounts))) if amounts else (0, 1)
    grid_top = top + 40
    for j, col in enumerate(values[cols_axis]):
        group.add(el("text", [f"{cols_axis}={data.shown(col)}"], x=left + j * cell_w + cell_w / 2,
                     y=grid_top - 6, text_anchor="middle"))
    for i, row in enumerate(values[rows_axis]):
        y = grid_top + i * cell_h
        group.add(el("text", [f"{rows_axis}={data.shown(row)}"], x=left - 6, y=y + 17,
                     text_anchor="end"))
        for j, col in enumerate(values[cols_axis]):
            point = points.get((row, col))
            if point is None:
                continue
            value = point[metric]
            share = 0.5 if high == low or value <= 0 else (math.log10(value) - low) / (high - low)
            fill = _ramp(share)
            x = left + j * cell_w
            cell = el("g", class_="cell")
            cell.add(el("rect", [title(f"{rows_axis}={data.shown(row)}, {cols_axis}="
                                       f"{data.shown(col)}: {value:,} {metric}")],
                        x=x, y=y, width=cell_w - 2, height=cell_h - 2, fill=fill,
                        data_value=value, data_row=data.shown(row), data_col=data.shown(col),
                        data_metric=metric))
            cell.add(el("text", [human(value)], x=x + cell_w / 2 - 1, y=y + 16,
                        text_anchor="middle", fill="#ffffff" if share > 0.55 else "#111111"))
            group.add(cell)
    height = 40 + len(values[rows_axis]) * cell_h + 10
    return group, height


def _ramp(share: float) -> str:
    """Light yellow (cheap) to dark blue (expensive)."""
    stops = [(255, 247, 188), (127, 205, 187), (44, 127, 184), (37, 52, 148)]
    share = min(max(share, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(share), len(stops) - 2)
    t = share - i
    rgb = [round(a + (b - a) * t) for a, b in zip(stops[i], stops[i + 1])]
    return "#" + "".join(f"{c:02x}" for c in rgb)
