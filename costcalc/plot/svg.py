"""A small SVG writer: escaped elements, compact numbers, the colour palette and text widths."""
from __future__ import annotations

from fractions import Fraction
from html import escape
from typing import Any, Iterable

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"
FONT_SIZE = 11

# Colour-blind safe (Okabe-Ito / Tol), one colour per op class; unknown classes share grey.
OP_COLOURS = {
    "pointwise": "#0072B2", "depthwise": "#E69F00", "conv": "#009E73", "linear": "#CC79A7",
    "attention": "#D55E00", "se": "#56B4E9", "grouped": "#F0E442", "other": "#999999",
}
# The report's names for op classes (costcalc.breakdown uses the same words).
OP_LABELS = {"conv": "standard conv", "linear": "fully connected", "se": "SE"}
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
          "#999999", "#F0E442"]


def colour(op_class: str) -> str:
    """The fill of an op class (grey for classes without their own colour)."""
    return OP_COLOURS.get(op_class, OP_COLOURS["other"])


def op_label(op_class: str) -> str:
    """How an op class is named in legends."""
    return OP_LABELS.get(op_class, op_class)


def number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (small files)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def exact(value: Any) -> str:
    """An exact value for a data attribute: integers as digits, rationals as p/q."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return f"{value.numerator}/{value.denominator}"
    return str(value)


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rough rendered width of ``text`` (0.6 em a character): for layout, never for data."""
    return 0.6 * size * len(text)


class Element:
    """An SVG element: tag, attributes (None dropped, values escaped) and children."""

    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, Any] | None = None,
                 children: Iterable["Element | str"] = ()):
        self.tag = tag
        self.attrs = {k.rstrip("_").replace("_", "-"): v for k, v in (attrs or {}).items()
                      if v is not None}
        self.children = list(children)

    def add(self, child: "Element | str") -> "Element":
        self.children.append(child)
        return child if isinstance(child, Element) else self

    def render(self, out: list[str]) -> None:
        attrs = "".join(f' {k}="{escape(_attr(v), quote=True)}"' for k, v in self.attrs.items())
        if not self.children:
            out.append(f"<{self.tag}{attrs}/>")
            return
        out.append(f"<{self.tag}{attrs}>")
        for child in self.children:
            if isinstance(child, Element):
                child.render(out)
            else:
                out.append(escape(str(child), quote=False))
        out.append(f"</{self.tag}>")


def _attr(value: Any) -> str:
    if isinstance(value, float):
        return number(value)
    return exact(value)


def el(tag: str, children: Iterable["Element | str"] = (), **attrs: Any) -> Element:
    """``el('rect', x=1, data_macs=5)`` -> ``<rect x="1" data-macs="5"/>``."""
    return Element(tag, attrs, children)


def title(text: str) -> Element:
    """A tooltip: browsers show an element's first ``<title>`` child on hover."""
    return Element("title", None, [text])


def document(width: float, height: float, body: Iterable[Element], label: str,
             kind: str) -> str:
    """A standalone SVG file (also valid inline in HTML): sized, titled, system fonts."""
    root = el("svg", xmlns="http://www.w3.org/2000/svg", width=number(width),
              height=number(height), viewBox=f"0 0 {number(width)} {number(height)}",
              role="img", font_family=FONT, font_size=FONT_SIZE, class_="costcalc-chart",
              data_chart=kind)
    root.add(title(label))
    root.add(el("rect", width="100%", height="100%", fill="#ffffff"))
    for item in body:
        root.add(item)
    out: list[str] = []
    root.render(out)
    return "".join(out) + "\n"
