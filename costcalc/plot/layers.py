"""Per-layer chart: MACs and params of every layer as horizontal bars, coloured by op class,
grouped by block, with each separable block's cost ratio against a standard convolution."""
from __future__ import annotations

from typing import Any

from costcalc.plot.axes import Scale, heading, human, legend
from costcalc.plot.svg import colour, document, op_label, el, text_width, title

ROW = 14
PANEL = 300
METRICS = (("macs", "MACs"), ("params", "params"))


def chart(report: dict[str, Any]) -> str:
    """SVG of ``costcalc report MODEL --format json`` (its ``layers`` and ``blocks``)."""
    layers = {layer["name"]: layer for layer in report["layers"]}
    rows: list[tuple[str, Any]] = []
    for block in report["blocks"]:
        if len(block["layers"]) > 1:
            rows.append(("block", block))
        rows += [("layer", layers[name]) for name in block["layers"]]
    names = [item["name"] for _, item in rows]
    label_width = min(max((text_width(n) for n in names), default=40) + 16, 200)
    top = 60
    width = label_width + len(METRICS) * (PANEL + 24) + 150
    classes = list(dict.fromkeys(layer["op_class"] for layer in report["layers"]))
    key, key_height = legend([(op_label(c), colour(c)) for c in classes], 8, 26, width - 16)
    top = 26 + key_height + 22
    height = top + len(rows) * ROW + 12
    scales = {}
    body = [heading(f"{report['model']}: MACs and params per layer "
                    f"({report['convention']} convention)", 8), key]
    for index, (metric, label) in enumerate(METRICS):
        start = label_width + index * (PANEL + 24)
        peak = max((layer[metric] for layer in report["layers"]), default=0) or 1
        scales[metric] = Scale(0, peak, start, start + PANEL, nice=False)
        body.append(el("text", [f"{label} (total {human(report['total'][metric])})"], x=start,
                       y=top - 6, font_weight="bold"))
    bars = el("g", class_="bars")
    for number, (what, item) in enumerate(rows):
        y = top + number * ROW
        if what == "block":
            bars.add(_block_row(item, y, width))
            continue
        bars.add(el("text", [item["name"]], x=label_width - 6, y=y + 10, text_anchor="end",
                    fill="#333333"))
        for metric, label in METRICS:
            scale = scales[metric]
            value = item[metric]
            bars.add(el("rect", [title(_tooltip(item))], x=scale.start, y=y + 2,
                        width=max(scale(value) - scale.start, 0.0), height=ROW - 4,
                        fill=colour(item["op_class"]), class_="bar", data_layer=item["name"],
                        data_metric=metric, data_value=value, data_op_class=item["op_class"]))
    body.append(bars)
    return document(width, height, body, f"{report['model']} per-layer MACs and params", "layers")


def _block_row(block: dict[str, Any], y: float, width: float):
    group = el("g", class_="block", data_block=block["name"], data_macs=block["macs"],
               data_params=block["params"])
    group.add(el("rect", x=0, y=y, width=width, height=ROW, fill="#f2f2f2"))
    text = f"{block['name']} ({block['kind']}): {block['macs']:,} MACs, {block['params']:,} params"
    group.add(el("text", [text], x=8, y=y + 10, font_weight="bold", fill="#222222"))
    ratio = block.get("separable")
    if ratio:
        mark = (f"dw+pw/std = {ratio['pair_ratio']:.4f}  (1/N+1/K^2 = {ratio['formula']:.4f})  "
                f"block/std = {ratio['block_ratio']:.4f}")
        group.add(el("text", [title(mark), mark], x=width - 8, y=y + 10, text_anchor="end",
                     fill="#444444", class_="ratio", data_pair_ratio=repr(ratio["pair_ratio"]),
                     data_formula=repr(ratio["formula"]),
                     data_block_ratio=repr(ratio["block_ratio"])))
    return group


def _tooltip(layer: dict[str, Any]) -> str:
    shape = "x".join(str(d) for d in layer["output"])
    return (f"{layer['name']} ({layer['kind']}, {layer['op_class']}), output {shape}: "
            f"{layer['macs']:,} MACs, {layer['params']:,} params, "
            f"{layer['activations']:,} activations")
