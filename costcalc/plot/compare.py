"""Compare chart: MACs, params and activations of each variant as horizontal bars, from
``costcalc compare --format json``."""
from __future__ import annotations

from typing import Any

from costcalc.plot.axes import Scale, heading, human
from costcalc.plot.svg import SERIES, document, el, text_width, title

METRICS = (("macs", "MACs"), ("params", "params"), ("activations", "activations"))
ROW, PANEL = 18, 240


def chart(compare: dict[str, Any]) -> str:
    variants = compare["variants"]
    label_w = min(max((text_width(v["variant"]) for v in variants), default=40) + 14, 320)
    width = label_w + len(METRICS) * (PANEL + 70)
    top = 52
    body = [heading(f"compare ({compare['convention']} convention; ratios to "
                    f"{compare['baseline']})", 8)]
    for index, (metric, label) in enumerate(METRICS):
        left = label_w + index * (PANEL + 70)
        peak = max((v[metric] for v in variants), default=0) or 1
        scale = Scale(0, peak, left, left + PANEL, nice=False)
        body.append(el("text", [label], x=left, y=top - 8, font_weight="bold"))
        group = el("g", class_="panel", data_metric=metric)
        for row, variant in enumerate(variants):
            y = top + row * ROW
            value = variant[metric]
            ratio = variant["ratios"][metric]
            tip = f"{variant['variant']}: {value:,} {label}" + (
                f" ({ratio:.4f} x baseline)" if ratio is not None else "")
            group.add(el("rect", [title(tip)], x=left, y=y + 2,
                         width=max(scale(value) - left, 0.0), height=ROW - 5,
                         fill=SERIES[index], class_="bar", data_variant=variant["variant"],
                         data_metric=metric, data_value=value))
            group.add(el("text", [human(value)], x=scale(value) + 4, y=y + 13, font_size=10,
                         fill="#444444"))
        body.append(group)
    names = el("g", class_="labels")
    for row, variant in enumerate(variants):
        names.add(el("text", [variant["variant"]], x=label_w - 8, y=top + row * ROW + 13,
                     text_anchor="end"))
    body.append(names)
    height = top + len(variants) * ROW + 16
    return document(width, height, body, "compare", "compare")
