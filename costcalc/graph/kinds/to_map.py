"""The ``to_map`` kind: tokens on an h x w grid read back as a D x h x w map (a view)."""
from __future__ import annotations

from costcalc.graph.units import free_letters
from costcalc.graph.registry import Shape, register


@register("to_map", memory="view", tokens="only", prefix="map", letters=free_letters)
def to_map(b, f, x, name):
    """N = h w tokens of width D on an h x w grid -> D x h x w map (Swin's permute back to
    channels first; a plain sequence of N tokens gives D x N x 1). Free."""
    d, h, w = x.shape
    return b.add_node(name, "to_map", (x,), Shape(d, h, w), {}, op_class="other", input=x.shape)
