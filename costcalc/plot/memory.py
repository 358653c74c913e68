"""Memory timeline: live bytes after each layer in execution order, the peak marked, and with
``--split`` each split block's peak next to its unsplit one."""
from __future__ import annotations

from typing import Any

from costcalc.plot.axes import MARGIN, Scale, frame, heading, human, legend
from costcalc.plot.svg import document, el, number, title

LIVE, SPLIT, PEAK = "#0072B2", "#D55E00", "#CC0000"


def chart(memory: dict[str, Any], show_split: bool = True) -> str:
    """SVG of ``costcalc memory MODEL [--split G] --format json``; the split peaks (which the
    plain command also reports, for G = max) only when ``show_split``."""
    layers = memory["layers"]
    count = max(len(layers), 1)
    step = max(6.0, min(14.0, 900 / count))
    plot_w = step * count
    width = MARGIN["left"] + plot_w + 40
    split = memory.get("split") if show_split else None
    entries = [("live bytes after each layer", LIVE), ("peak", PEAK)]
    if split is not None:
        entries.insert(1, (f"block peak with --split {split}", SPLIT))
    key, key_height = legend(entries, 8, 28, width - 16)
    top = 28 + key_height + 30
    height_plot = 260
    x = Scale(0, count, MARGIN["left"], MARGIN["left"] + plot_w)
    x.ticks = []
    peak = memory["peak_bytes"]
    y = Scale(0, peak, top + height_plot, top)
    body = [heading(f"{memory['model']}: live activation memory ({memory['dtype']}, "
                    f"{memory['bytes_per_element']} B/element)", 8), key]
    body += frame(x, y, "", "live bytes")
    body.append(el("text", ["layers in execution order (block names at each block's first layer)"],
                   x=(x.start + x.end) / 2, y=top + height_plot + 64, text_anchor="middle",
                   class_="axis-label"))
    index = {layer["name"]: i for i, layer in enumerate(layers)}
    bars = el("g", class_="timeline")
    for i, layer in enumerate(layers):
        value = layer["live_bytes"]
        is_peak = layer["name"] == memory["peak_layer"]
        bars.add(el("rect", [title(f"{layer['name']} ({layer['kind']}): {value:,} live bytes, "
                                   f"output {layer['activation_bytes']:,} B")],
                    x=x(i) + 0.5, y=y(value), width=max(step - 1, 1), height=y(0) - y(value),
                    fill=PEAK if is_peak else LIVE, class_="bar", data_layer=layer["name"],
                    data_value=value, data_metric="live_bytes"))
    body.append(bars)
    peak_x = x(index.get(memory["peak_layer"], 0)) + step / 2
    body.append(el("g", [el("line", x1=x.start, x2=x.end, y1=y(peak), y2=y(peak), stroke=PEAK,
                            stroke_dasharray="4 3"),
                         el("text", [f"peak {peak:,} B ({human(peak)}B) at {memory['peak_layer']}"],
                            x=min(peak_x + 6, x.end - 4), y=y(peak) - 4, fill=PEAK,
                            text_anchor="start" if peak_x < x.end - 320 else "end")],
                   class_="peak", data_value=peak, data_layer=memory["peak_layer"]))
    if split is not None:
        body.append(_split_marks(memory, index, x, y, step))
    # Layer names under the axis would not fit: label every block start instead.
    labels = el("g", class_="layer-labels", fill="#555555", font_size=9)
    shown_blocks = set()
    for i, layer in enumerate(layers):
        block = layer["name"].split(".", 1)[0]
        if block not in shown_blocks:
            shown_blocks.add(block)
            px = x(i) + 2
            labels.add(el("text", [block], x=px, y=top + height_plot + 12,
                          transform=f"rotate(60 {number(px)} {number(top + height_plot + 12)})"))
    body.append(labels)
    height = top + height_plot + 76
    return document(width, height, body, f"{memory['model']} memory timeline", "memory")


def _split_marks(memory, index, x, y, step):
    group = el("g", class_="split", data_split=memory["split"],
               data_value=memory["split_peak_bytes"], data_step=memory["split_peak_step"])
    for block in memory.get("blocks", []):
        members = [i for name, i in index.items() if name.split(".", 1)[0] == block["name"]]
        if not members:
            continue
        x1, x2 = x(min(members)), x(max(members)) + step
        value = block["split_peak_bytes"]
        group.add(el("line", [title(f"{block['name']}: peak {block['peak_bytes']:,} B unsplit, "
                                    f"{value:,} B in {block['groups']} groups")],
                     x1=x1, x2=x2, y1=y(value), y2=y(value), stroke=SPLIT, stroke_width=3,
                     class_="split-peak", data_block=block["name"], data_value=value,
                     data_unsplit=block["peak_bytes"]))
    value = memory["split_peak_bytes"]
    group.add(el("line", x1=x.start, x2=x.end, y1=y(value), y2=y(value), stroke=SPLIT,
                 stroke_dasharray="2 3"))
    group.add(el("text", [f"peak with --split {memory['split']}: {value:,} B at "
                          f"{memory['split_peak_step']}"], x=x.end - 4, y=y(value) - 4,
                 text_anchor="end", fill=SPLIT))
    return group
