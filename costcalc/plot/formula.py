"""Formula chart: the ideal closed form (no channel rounding) against the exact count across
alpha, from ``costcalc formula MODEL --alpha A --format json`` at each alpha."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc.plot import data
from costcalc.plot.axes import MARGIN, Scale, frame, heading, legend, wants_log
from costcalc.plot.svg import document, el, number, title

EXACT, IDEAL = "#0072B2", "#D55E00"
PANELS = (("macs", "MACs"), ("params", "params"))
PANEL_W, PANEL_H = 360, 260


def values(chart_data: dict[str, Any], metric: str) -> list[tuple[Fraction, int, Fraction]]:
    """(alpha, exact count, ideal closed-form value) per point, exact."""
    rows = []
    for point in chart_data["points"]:
        gap = point["gap"][metric]
        rows.append((data.exact_number(point["parameters"]["alpha"]), gap["exact"],
                     data.exact_number(gap["ideal"])))
    return rows


def chart(chart_data: dict[str, Any]) -> str:
    width = MARGIN["left"] + len(PANELS) * (PANEL_W + MARGIN["left"] + 20)
    key, key_height = legend([("exact count (channels rounded)", EXACT),
                              ("ideal closed form (alpha*c, no rounding)", IDEAL)], 8, 28,
                             width - 16)
    body = [heading(f"{chart_data['model']}: closed form against exact count across alpha "
                    f"({chart_data['convention']} convention)", 8), key]
    top = 28 + key_height + 30
    for index, (metric, label) in enumerate(PANELS):
        rows = values(chart_data, metric)
        left = MARGIN["left"] + index * (PANEL_W + MARGIN["left"] + 20)
        amounts = [float(v) for _, e, i in rows for v in (e, i)] or [0, 1]
        log = wants_log(amounts)
        x = Scale(float(min(a for a, _, _ in rows)), float(max(a for a, _, _ in rows)), left,
                  left + PANEL_W)
        y = Scale(min(amounts) if log else 0, max(amounts), top + PANEL_H, top, log=log)
        group = el("g", class_="panel", data_metric=metric)
        group.children += frame(x, y, "alpha", label + (" (log scale)" if log else ""),
                                x_format=lambda t: f"{t:g}")
        # The ideal form is drawn last, dashed, so it stays visible where the two coincide.
        for name, pick, stroke, dash in (("exact", 1, EXACT, None), ("ideal", 2, IDEAL, "5 3")):
            path = "M" + "L".join(f"{number(x(float(r[0])))},{number(y(float(r[pick])))}"
                                  for r in rows)
            series = el("g", class_="series", data_series=name)
            series.add(el("path", d=path, fill="none", stroke=stroke, stroke_width=2,
                          stroke_dasharray=dash))
            for row in rows:
                alpha, exact, ideal = row
                value = row[pick]
                series.add(el("circle", [title(f"alpha={data.shown(alpha)}: exact {exact:,}, "
                                               f"ideal {data.shown(ideal)} "
                                               f"(gap {data.shown(exact - ideal)})")],
                              cx=x(float(alpha)), cy=y(float(value)),
                              r=3 if name == "exact" else 2.5,
                              fill=stroke, class_="point", data_series=name, data_metric=metric,
                              data_alpha=data.shown(alpha), data_value=data.shown(value)))
            group.add(series)
        body.append(group)
    lines = closed_forms(chart_data)
    for number_, line in enumerate(lines):
        body.append(el("text", [line], x=8, y=top + PANEL_H + 62 + 15 * number_, font_size=10,
                       fill="#444444", class_="closed-form"))
    height = top + PANEL_H + MARGIN["bottom"] + 30 + 15 * len(lines)
    return document(width, height, body, f"{chart_data['model']} formula against exact", "formula")


def closed_forms(chart_data: dict[str, Any]) -> list[str]:
    """``alpha 0.25..1: MACs = ...``: each closed form with the alphas it was derived at (the
    form changes where a max()/min() in the spec picks its other branch)."""
    lines = []
    for metric, label in PANELS:
        runs: list[list[Any]] = []
        for point in chart_data["points"]:
            form = point["total"][metric]
            alpha = data.shown(data.exact_number(point["parameters"]["alpha"]))
            if runs and runs[-1][0] == form:
                runs[-1][2] = alpha
            else:
                runs.append([form, alpha, alpha])
        for form, low, high in runs:
            span = low if low == high else f"{low} to {high}"
            lines.append(f"alpha {span}: {label} = {form}")
    return lines
