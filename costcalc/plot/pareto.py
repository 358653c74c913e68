"""Pareto charts: published or user top-1 accuracy against MACs and against params (v1 Figures
4 and 5), costs from ``costcalc compare --format json``, log axes where the range is wide."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc.plot.axes import MARGIN, Scale, frame, heading, legend, wants_log
from costcalc.plot.svg import SERIES, document, el, number, title

PANELS = (("macs", "MACs"), ("params", "params"))
PANEL_W, PANEL_H = 360, 280


def points(pareto: dict[str, Any]) -> list[dict[str, Any]]:
    """Each accuracy joined to its variant's costs in the compare JSON (by variant label)."""
    costs = {v["variant"]: v for v in pareto["compare"]["variants"]}
    joined = []
    for entry in pareto["accuracy"]:
        variant = costs.get(entry["variant"])
        if variant is not None:
            joined.append({**variant, "top1": Fraction(entry["top1"]), "top1_text": entry["top1"],
                           "source": entry["source"]})
    return joined


def frontier(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """The variants no other variant beats on both cost (lower) and accuracy (higher)."""
    best: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (r[metric], -r["top1"])):
        if not best or row["top1"] > best[-1]["top1"]:
            best.append(row)
    return best


def chart(pareto: dict[str, Any]) -> str:
    """SVG of top-1 against MACs and against params for the joined variants."""
    rows = points(pareto)
    models = list(dict.fromkeys(r["model"] for r in rows))
    colours = {m: SERIES[i % len(SERIES)] for i, m in enumerate(models)}
    width = MARGIN["left"] + len(PANELS) * (PANEL_W + MARGIN["left"]) + 40
    key, key_height = legend([(m, colours[m]) for m in models] +
                             [("Pareto frontier (dashed)", "#555555")], 8, 28, width - 16)
    body = [heading(pareto.get("title") or "Top-1 accuracy against cost", 8), key]
    top = 28 + key_height + 30
    accuracies = [float(r["top1"]) for r in rows] or [0.0, 100.0]
    for index, (metric, label) in enumerate(PANELS):
        left = MARGIN["left"] + index * (PANEL_W + MARGIN["left"] + 20)
        values = [r[metric] for r in rows] or [1, 10]
        log = wants_log(values)
        # Linear axes get 5% room on the right so the largest variant is not on the frame.
        x = Scale(min(values) if log else 0, max(values) * (1 if log else 1.05), left,
                  left + PANEL_W, log=log)
        y = Scale(min(accuracies) - 1, max(accuracies) + 1, top + PANEL_H, top)
        group = el("g", class_="panel", data_metric=metric)
        group.children += frame(x, y, label + (" (log scale)" if log else ""),
                                "ImageNet top-1 (%)", y_format=lambda t: f"{t:g}")
        best = frontier(rows, metric)
        if len(best) > 1:
            group.add(el("path", d="M" + "L".join(f"{number(x(r[metric]))},"
                                                  f"{number(y(float(r['top1'])))}" for r in best),
                         fill="none", stroke="#555555", stroke_dasharray="4 3", class_="frontier"))
        for row in rows:
            group.add(el("circle", [title(f"{row['variant']}: top-1 {row['top1_text']}% "
                                          f"({row['source']}); {row['macs']:,} MACs, "
                                          f"{row['params']:,} params")],
                         cx=x(row[metric]), cy=y(float(row["top1"])), r=4.5,
                         fill=colours[row["model"]], fill_opacity=0.85, stroke="#ffffff",
                         class_="point", data_variant=row["variant"], data_metric=metric,
                         data_value=row[metric], data_top1=row["top1_text"]))
        body.append(group)
    height = top + PANEL_H + MARGIN["bottom"] + 8
    return document(width, height, body, "accuracy against cost", "pareto")


def pareto_data(accuracies, compare: dict[str, Any], title_text: str = "") -> dict[str, Any]:
    """The chart's input: the compare JSON of the variants plus their accuracies, in the order
    the variants were given (``compare`` rows follow that order)."""
    from costcalc.plot.data import shown

    rows = compare["variants"]
    return {"title": title_text, "compare": compare,
            "accuracy": [{"variant": row["variant"], "top1": shown(entry.top1),
                          "source": entry.source} for entry, row in zip(accuracies, rows)]}
