"""The ``patch_embed`` kind: a P x P conv with stride P, its output read as tokens (ViT, Swin)."""
from __future__ import annotations

from costcalc.graph.registry import Field, Tokens, register
from costcalc.graph.units import conv_unit


@register("patch_embed", Field("out", "count", doc="token width D"),
          Field("patch", "pair", doc="patch side P (kernel = stride = P)"),
          Field("bias", "bool", True), prefix="patch", composite=True)
def patch_embed(b, f, x, name):
    """Patch embedding: conv with kernel = stride = P, no padding, then its map read as tokens.

    N = floor(H / P) floor(W / P) tokens of width D; MACs = N D C P^2 (the conv formula);
    params = D C P^2 (+ D bias).
    """
    with b.block(name, "patch_embed"):
        y = conv_unit(b, x, f"{name}.conv", out=f["out"], kernel=f["patch"], stride=f["patch"],
                      padding=0, bias=f["bias"], role="conv")
        c, h, w = y.shape
        return b.add_node(f"{name}.tokens", "to_tokens", (y,), Tokens(c, h, w), {},
                          op_class="other", input=y.shape)

