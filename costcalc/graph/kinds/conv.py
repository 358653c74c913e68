"""The ``conv`` kind: a K x K convolution (+ BatchNorm, activation), reported as conv, dwconv or pwconv."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import conv_letters, CONV_FIELDS, conv_unit


@register("conv", Field("out", "count", doc="output channels"), *CONV_FIELDS,
          Field("groups", "count", 1), letters=conv_letters, prefix="conv")
def conv(b, f, x, name):
    """Convolution. MACs = K^2 (C_in/g) C_out H_out W_out; params = K^2 (C_in/g) C_out (+ C_out bias)."""
    return conv_unit(b, x, name, **f)
