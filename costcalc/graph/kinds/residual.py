"""The ``residual`` kind: a body of entries plus a shortcut, added."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import ACT, add_merge, conv_unit


@register("residual", Field("body", "layers"),
          Field("shortcut", "shortcut", "auto", "auto, identity, projection or a list of layers",
                choices=("auto", "identity", "projection")),
          Field("stride", "count", 1, "stride of the projection shortcut"), ACT,
          prefix="block")
def residual(b, f, x, name):
    """y = act(body(x) + shortcut(x)); shortcut auto = identity, or 1x1 conv + BN when shapes differ."""
    with b.block(name, "residual"):
        with b.role("body"):
            y = f["body"](x, name)
        shortcut = f["shortcut"]
        if callable(shortcut):  # a list of layers
            with b.block(f"{name}.shortcut", "shortcut", role="shortcut"):
                s = shortcut(x, f"{name}.shortcut")
        elif shortcut == "projection" or (shortcut == "auto" and y.shape != x.shape):
            s = conv_unit(b, x, f"{name}.shortcut", out=y.shape.c, stride=f["stride"], bn=True,
                          role="shortcut")
        else:
            s = x
        return add_merge(b, [y, s], f"{name}.add", act=f["act"])
