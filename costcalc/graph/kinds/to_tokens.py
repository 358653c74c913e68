"""The ``to_tokens`` kind: a C x H x W map read as H W tokens of width C (a view)."""
from __future__ import annotations

from costcalc.graph.units import free_letters
from costcalc.graph.registry import Tokens, register


@register("to_tokens", memory="view", prefix="tokens", letters=free_letters)
def to_tokens(b, f, x, name):
    """C x H x W map -> N = H W tokens of width D = C on an H x W grid (``x.flatten(2)
    .transpose(1, 2)``, or Swin's permute to channels last). Free."""
    c, h, w = x.shape
    return b.add_node(name, "to_tokens", (x,), Tokens(c, h, w), {}, op_class="other",
                      input=x.shape)
