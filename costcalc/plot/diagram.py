"""Block diagram: the layer graph in execution order, one box per layer coloured by op class,
tensor shapes on the edges, skip connections and branches drawn as arcs on the right."""
from __future__ import annotations

from typing import Any

from costcalc.errors import UsageError
from costcalc.plot.axes import heading
from costcalc.plot.svg import colour, document, el, number, op_label, text_width, title

BOX_W, BOX_H, GAP = 230, 26, 22
LEFT, LANE = 76, 16


def shape_text(shape: list[int]) -> str:
    return "x".join(str(d) for d in shape)


def chart(graph: dict[str, Any], block: str | None = None) -> str:
    """SVG of the report JSON with layer inputs (``costcalc plot diagram``), or of one block."""
    layers = _layers(graph, block)
    all_shapes = {"input": graph["input"], **{l["name"]: l["output"] for l in graph["layers"]}}
    boxes = _boxes(graph, block, layers, all_shapes)
    row = {name: i for i, (_, name, _) in enumerate(boxes)}
    top = 40
    y = {name: top + i * (BOX_H + GAP) for name, i in row.items()}
    body = [heading(f"{graph['model']}" + (f" block {block}" if block else "") +
                    f": layer graph ({len(layers)} layers)", 8)]
    edges = el("g", class_="edges", fill="none", stroke="#555555")
    labels = el("g", class_="edge-labels", fill="#333333", font_size=10)
    lane_used = _edges(boxes, row, y, all_shapes, edges, labels)
    nodes = el("g", class_="nodes")
    _brackets(boxes, y, nodes)
    for kind, name, item in boxes:
        nodes.add(_source_box(name, item, y[name]) if kind == "source"
                  else _layer_box(name, item, y[name]))
    defs = el("defs", [el("marker", [el("path", d="M0,0L8,4L0,8z", fill="#555555")], id="arrow",
                          viewBox="0 0 8 8", refX=8, refY=4, markerWidth=7, markerHeight=7,
                          orient="auto")])
    width = LEFT + BOX_W + 40 + LANE * (lane_used + 1) + 90
    height = top + len(boxes) * (BOX_H + GAP) + 10
    return document(max(width, 420), height, [defs, edges, nodes, labels, *body],
                    f"{graph['model']} layer graph", "diagram")


def _layers(graph: dict[str, Any], block: str | None) -> list[dict]:
    """The layers drawn: all, or those of ``block`` (UsageError naming the blocks if unknown)."""
    layers = graph["layers"]
    if block is None:
        return layers
    names = {b["name"] for b in graph["blocks"]}
    if block not in names:
        raise UsageError(f"no block {block!r} in {graph['model']}; blocks: "
                         f"{', '.join(b['name'] for b in graph['blocks'])}")
    return [layer for layer in layers if layer["name"].split(".", 1)[0] == block]


def _boxes(graph: dict[str, Any], block: str | None, layers: list[dict],
           all_shapes: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(kind, name, item) per box, top to bottom: the tensors entering the drawing, the layers."""
    if block is None:
        boxes = [("source", "input", graph["input"])]
    else:
        shapes = {"input": graph["input"], **{layer["name"]: layer["output"] for layer in layers}}
        sources = []  # tensors entering the drawing from outside it
        for layer in layers:
            for name in layer["inputs"]:
                if name not in shapes and name not in sources:
                    sources.append(name)
        boxes = [("source", name, all_shapes.get(name, [])) for name in (sources or ["input"])]
    return boxes + [("layer", layer["name"], layer) for layer in layers]


def _edges(boxes, row: dict[str, int], y: dict[str, int], all_shapes: dict[str, Any], edges,
           labels) -> int:
    """Draw every input edge: straight down to the next box, else an arc in a free lane on the
    right. Returns how many lanes the arcs use."""
    lanes: list[int] = []  # last row each lane is busy until
    lane_used = 0
    for kind, name, item in boxes:
        if kind != "layer":
            continue
        for source in item["inputs"]:
            if source not in row:
                continue
            shape = shape_text(all_shapes[source])
            x_mid = LEFT + BOX_W / 2
            y0, y1 = y[source] + BOX_H, y[name]
            if row[source] == row[name] - 1:
                edges.add(el("path", [title(f"{source} -> {name}: {shape}")],
                             d=f"M{number(x_mid)},{number(y0)}V{number(y1 - 3)}",
                             marker_end="url(#arrow)", class_="edge", data_from=source,
                             data_to=name, data_shape=shape))
                labels.add(el("text", [shape], x=x_mid + 6, y=(y0 + y1) / 2 + 4))
                continue
            lane = next((i for i, busy in enumerate(lanes) if busy <= row[source]), len(lanes))
            if lane == len(lanes):
                lanes.append(0)
            lanes[lane] = row[name]
            lane_used = max(lane_used, lane + 1)
            x_out = LEFT + BOX_W
            bend = x_out + LANE * (lane + 1) + 40
            ya, yb = y[source] + BOX_H / 2, y[name] + BOX_H / 2
            edges.add(el("path", [title(f"{source} -> {name}: {shape}")],
                         d=f"M{number(x_out)},{number(ya)}H{number(bend - 8)}"
                           f"Q{number(bend)},{number(ya)} {number(bend)},{number(ya + 8)}"
                           f"V{number(yb - 8)}Q{number(bend)},{number(yb)} {number(bend - 8)},"
                           f"{number(yb)}H{number(x_out + 3)}",
                         marker_end="url(#arrow)", stroke="#D55E00", class_="edge skip",
                         data_from=source, data_to=name, data_shape=shape))
            labels.add(el("text", [shape], x=x_out + 6, y=ya - 4, fill="#D55E00"))
    return lane_used


def _brackets(boxes, y: dict[str, int], nodes) -> None:
    """Each block's name beside its first layer, and a bracket over its layers."""
    seen: dict[str, list[str]] = {}
    for kind, name, item in boxes:
        if kind == "layer":
            seen.setdefault(name.split(".", 1)[0], []).append(name)
    for block_name, members in seen.items():
        if len(members) < 2:
            continue
        y0, y1 = y[members[0]], y[members[-1]] + BOX_H
        nodes.add(el("g", [el("path", d=f"M{LEFT - 6},{number(y0)}H{LEFT - 10}V{number(y1)}"
                                        f"H{LEFT - 6}", fill="none", stroke="#999999"),
                           el("text", [block_name], x=LEFT - 14, y=y0 + 17, text_anchor="end",
                              fill="#555555", font_weight="bold")],
                     class_="block-bracket", data_block=block_name))


def _source_box(name: str, shape: list[int], top_y: int):
    text = f"{name}: {shape_text(shape)}" if shape else name
    return el("g", [el("rect", x=LEFT, y=top_y, width=BOX_W, height=BOX_H, rx=12,
                       fill="#ffffff", stroke="#333333"),
                    el("text", [text], x=LEFT + BOX_W / 2, y=top_y + 17,
                       text_anchor="middle")], class_="node source", data_layer=name)


def _layer_box(name: str, item: dict[str, Any], top_y: int):
    fill = colour(item.get("op_class", "other"))
    label = f"{name}  {item['kind']}"
    if text_width(label) > BOX_W - 12:
        label = name
    op_class = op_label(item.get("op_class", "other"))
    return el("g", [title(f"{name} ({item['kind']}, {op_class}): "
                          f"output {shape_text(item['output'])}, {item['macs']:,} MACs, "
                          f"{item['params']:,} params"),
                    el("rect", x=LEFT, y=top_y, width=BOX_W, height=BOX_H, rx=4, fill=fill,
                       fill_opacity=0.25, stroke=fill),
                    el("text", [label], x=LEFT + 8, y=top_y + 17)],
              class_="node", data_layer=name, data_kind=item["kind"],
              data_macs=item["macs"], data_params=item["params"],
              data_output=shape_text(item["output"]))
