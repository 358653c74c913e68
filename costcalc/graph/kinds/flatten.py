"""The ``flatten`` kind: C x H x W to a flat vector (a view)."""
from __future__ import annotations

from costcalc.graph.registry import Shape, register


@register("flatten", memory="view", prefix="flatten")
def flatten(b, f, x, name):
    """Flatten C x H x W to (C H W) x 1 x 1. Free."""
    return b.add_node(name, "flatten", (x,), Shape(x.shape.elements, 1, 1), {}, op_class="other",
                      input=x.shape)
