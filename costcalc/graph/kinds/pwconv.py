"""The ``pwconv`` kind: pointwise (1x1) convolution."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import conv_letters, ACT, BN, conv_unit


@register("pwconv", Field("out", "count"), Field("bias", "bool", False), BN, ACT,
          Field("groups", "count", 1), letters=conv_letters, prefix="pw", aliases=("pointwise",))
def pwconv(b, f, x, name):
    """Pointwise (1x1) convolution. MACs = C_in C_out H W; params = C_in C_out (+ C_out bias)."""
    return conv_unit(b, x, name, kernel=1, kind="pwconv", **f)
