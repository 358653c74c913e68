"""PNG and PDF of a chart through matplotlib (the optional ``plot`` extra): the chart's own SVG
is replayed shape by shape onto a matplotlib canvas, so both outputs have one layout.

Only the SVG subset costcalc's charts use is understood: rect, line, circle, path (M L H V Q Z),
text (with rotate()), groups with inherited fill, stroke and font attributes.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from costcalc.errors import UsageError

NS = "{http://www.w3.org/2000/svg}"
PX = 0.75  # points per CSS pixel (96 px = 72 pt = 1 inch)
INHERITED = ("fill", "stroke", "stroke-width", "stroke-dasharray", "font-size", "font-weight",
             "text-anchor", "fill-opacity")
TOKEN = re.compile(r"[MLHVQZmlhvqz]|-?[0-9.]+(?:e-?[0-9]+)?")


def available() -> bool:
    """Whether matplotlib is installed (checked without importing it)."""
    from importlib.util import find_spec

    return find_spec("matplotlib") is not None


def render(svg: str, fmt: str) -> bytes:
    """The SVG text of a chart as PNG (2x pixels) or PDF bytes."""
    if not available():
        raise UsageError("PNG and PDF need matplotlib: pip install 'costcalc[plot]' (or write "
                         ".svg, .html or .tex)")
    import io

    from matplotlib.figure import Figure

    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    figure = Figure(figsize=(width / 96, height / 96), dpi=96)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_axis_off()
    _draw(axes, root, {"fill": "#000000", "stroke": "none", "stroke-width": "1",
                       "font-size": root.get("font-size", "11")}, width, height)
    out = io.BytesIO()
    figure.savefig(out, format=fmt, dpi=192 if fmt == "png" else 96)
    return out.getvalue()


def _draw(axes: Any, node: ET.Element, style: dict[str, str], width: float, height: float) -> None:
    style = {**style, **{k: node.get(k) for k in INHERITED if node.get(k) is not None}}
    tag = node.tag.removeprefix(NS)
    if tag in ("title", "defs", "marker"):
        return
    if tag == "rect":
        _rect(axes, node, style, width, height)
    elif tag == "line":
        _stroke(axes, [(_f(node, "x1"), _f(node, "y1")), (_f(node, "x2"), _f(node, "y2"))], style)
    elif tag == "circle":
        from matplotlib.patches import Circle

        axes.add_patch(Circle((_f(node, "cx"), _f(node, "cy")), _f(node, "r"),
                              **_paint(style, fill=True)))
    elif tag == "path":
        _path(axes, node.get("d", ""), style, bool(node.get("marker-end")))
    elif tag == "text":
        _text(axes, node, style)
        return
    for child in node:
        _draw(axes, child, style, width, height)


def _f(node: ET.Element, name: str, default: float = 0.0) -> float:
    value = node.get(name)
    return default if value is None else float(value)


def _colour(value: str | None) -> str | None:
    return None if value in (None, "none") or value.startswith("url(") else value


def _paint(style: dict[str, str], fill: bool) -> dict[str, Any]:
    face = _colour(style.get("fill")) if fill else None
    edge = _colour(style.get("stroke"))
    return {"facecolor": face or "none", "edgecolor": edge or "none",
            "linewidth": float(style.get("stroke-width", 1)) * PX if edge else 0,
            "alpha": float(style["fill-opacity"]) if "fill-opacity" in style else None,
            "linestyle": "--" if style.get("stroke-dasharray") else "-"}


def _rect(axes, node, style, width, height) -> None:
    from matplotlib.patches import Rectangle

    w = width if node.get("width") == "100%" else _f(node, "width")
    h = height if node.get("height") == "100%" else _f(node, "height")
    axes.add_patch(Rectangle((_f(node, "x"), _f(node, "y")), w, h, **_paint(style, fill=True)))


def _stroke(axes, points, style) -> None:
    colour = _colour(style.get("stroke"))
    if colour is None:
        return
    xs, ys = zip(*points)
    axes.plot(xs, ys, color=colour, linewidth=float(style.get("stroke-width", 1)) * PX,
              linestyle="--" if style.get("stroke-dasharray") else "-")


def _path(axes, d: str, style, arrow: bool = False) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    vertices, codes = [], []
    x = y = 0.0
    tokens = TOKEN.findall(d)
    i, command = 0, "M"
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i].upper()
            i += 1
            if command == "Z":
                vertices.append(vertices[0] if vertices else (x, y))
                codes.append(Path.CLOSEPOLY)
                continue
        if command in ("M", "L"):
            x, y = float(tokens[i]), float(tokens[i + 1])
            i += 2
            codes.append(Path.MOVETO if command == "M" else Path.LINETO)
            vertices.append((x, y))
            command = "L" if command == "M" else command
        elif command == "H":
            x = float(tokens[i])
            i += 1
            codes.append(Path.LINETO)
            vertices.append((x, y))
        elif command == "V":
            y = float(tokens[i])
            i += 1
            codes.append(Path.LINETO)
            vertices.append((x, y))
        elif command == "Q":
            cx, cy, x, y = (float(t) for t in tokens[i:i + 4])
            i += 4
            codes += [Path.CURVE3, Path.CURVE3]
            vertices += [(cx, cy), (x, y)]
        else:  # not produced by costcalc's charts
            i += 1
    if vertices:
        axes.add_patch(PathPatch(Path(vertices, codes), **_paint(style, fill=True)))
    if arrow and len(vertices) > 1:  # the arrowhead marker the SVG draws at the end
        colour = _colour(style.get("stroke")) or "#555555"
        axes.annotate("", xy=vertices[-1], xytext=vertices[-2],
                      arrowprops={"arrowstyle": "-|>", "color": colour, "linewidth": 0.8,
                                  "shrinkA": 0, "shrinkB": 0})


def _text(axes, node, style) -> None:
    text = "".join(node.itertext()) if node.text is not None else ""
    title = node.find(NS + "title")
    if title is not None and title.text:
        text = text.replace(title.text, "", 1)
    if not text.strip():
        return
    rotation = 0.0
    found = re.match(r"rotate\((-?[0-9.]+)", node.get("transform", ""))
    if found:
        rotation = -float(found.group(1))
    anchor = {"start": "left", "middle": "center", "end": "right"}[
        style.get("text-anchor", "start")]
    axes.text(_f(node, "x"), _f(node, "y"), text, ha=anchor, va="baseline",
              rotation=rotation, rotation_mode="anchor",
              fontsize=float(style.get("font-size", 11)) * PX,
              fontweight="bold" if style.get("font-weight") == "bold" else "normal",
              color=_colour(style.get("fill")) or "#000000", usetex=False, parse_math=False)
