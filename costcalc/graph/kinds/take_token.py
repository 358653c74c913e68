"""The ``take_token`` kind: one token as a flat vector (ViT's head reads the class token)."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import exact, free_letters


@register("take_token", Field("index", "count", 0, "which token (0: the class token)",
                              minimum=0), memory="view", tokens="only", letters=free_letters,
          prefix="take")
def take_token(b, f, x, name):
    """``x[:, index]``: N tokens of width D -> a flat D x 1 x 1 vector. Free."""
    d, h, w = x.shape
    if exact(h, w) and f["index"] >= h * w:
        raise SpecError(f"take_token index {f['index']} out of range for {h * w} tokens")
    return b.add_node(name, "take_token", (x,), Shape(d, 1, 1), {}, op_class="other",
                      input=x.shape)
