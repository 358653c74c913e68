"""The ``depthwise_separable`` kind: depthwise K x K then pointwise 1x1 (MobileNet v1)."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import ACTS, conv_unit


@register("depthwise_separable", Field("out", "count"), Field("kernel", "count", 3),
          Field("stride", "count", 1), Field("dilation", "count", 1, "of the depthwise conv"),
          Field("act", "choice", "relu", choices=ACTS),
          Field("bn", "bool", True),
          Field("separable", "bool", True, "false: the standard K x K conv it replaces"),
          prefix="block", aliases=("dsconv",))
def depthwise_separable(b, f, x, name):
    """Depthwise K x K (stride s) then pointwise 1x1 (MobileNet v1).

    MACs = D_F^2 M K^2 + D_F^2 M N; params = K^2 M + M N; the standard conv it replaces costs
    D_F^2 M N K^2, a ratio of 1/N + 1/K^2. A dilated depthwise conv (DeepLab's output stride
    16) costs the same at the same output size.
    """
    common = dict(stride=f["stride"], dilation=f["dilation"], bn=f["bn"], act=f["act"])
    with b.block(name, "depthwise_separable"):
        if not f["separable"]:
            return conv_unit(b, x, f"{name}.conv", out=f["out"], kernel=f["kernel"], role="conv",
                             **common)
        y = conv_unit(b, x, f"{name}.dw", out=x.shape.c, kernel=f["kernel"], groups=x.shape.c,
                      role="dw", **common)
        return conv_unit(b, y, f"{name}.pw", out=f["out"], bn=f["bn"], act=f["act"], role="pw")
