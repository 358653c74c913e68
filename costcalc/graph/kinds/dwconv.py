"""The ``dwconv`` kind: depthwise convolution, one K x K filter per channel."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import conv_letters, CONV_FIELDS, conv_unit


@register("dwconv", *CONV_FIELDS, Field("multiplier", "count", 1), letters=conv_letters,
          prefix="dw", aliases=("depthwise",))
def dwconv(b, f, x, name):
    """Depthwise convolution (one K x K filter per channel). MACs = K^2 C m H_out W_out; params = K^2 C m."""
    multiplier = f.pop("multiplier")
    return conv_unit(b, x, name, out=x.shape.c * multiplier, groups=x.shape.c, kind="dwconv", **f)
