"""The ``residual`` kind: a body of entries plus a shortcut, added."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import ACT, add_merge, conv_unit


@register("residual", Field("body", "layers"),
          Field("shortcut", "shortcut", "auto", "auto, identity, projection, none (no add: the "
                "body alone) or a list of layers",
                choices=("auto", "identity", "projection", "none")),
          Field("stride", "count", 1, "stride of the projection shortcut"), ACT,
          tokens="accept", prefix="block")
def residual(b, f, x, name):
    """y = act(body(x) + shortcut(x)); shortcut auto = identity, or 1x1 conv + BN when shapes differ;
    none = act(body(x)) (EfficientNetV2's Fused-MBConv without a skip)."""
    with b.block(name, "residual"):
        with b.role("body"):
            y = f["body"](x, name)
        shortcut = f["shortcut"]
        if shortcut == "none":
            if f["act"] != "none":
                y = b.call("activation", y, f"{name}.act", role="act", fn=f["act"])
            return y
        if callable(shortcut):  # a list of layers
            with b.block(f"{name}.shortcut", "shortcut", role="shortcut"):
                s = shortcut(x, f"{name}.shortcut")
        elif shortcut == "projection" or (shortcut == "auto" and y.shape != x.shape):
            s = conv_unit(b, x, f"{name}.shortcut", out=y.shape.c, stride=f["stride"], bn=True,
                          role="shortcut")
        else:
            s = x
        return add_merge(b, [y, s], f"{name}.add", act=f["act"])
