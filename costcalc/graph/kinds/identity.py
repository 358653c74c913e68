"""The ``identity`` kind (a view): the same values, optionally read as another shape."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph.registry import Field, Shape, Tokens, register
from costcalc.graph.units import exact


@register("identity",
          Field("channels", "count", None, "read the values as this many channels (a reshape "
                "or transpose view; with height and width, the same number of elements)"),
          Field("height", "count", None, "read the values with this height"),
          Field("width", "count", None, "read the values with this width"),
          Field("layout", "choice", "same", "tokens: read the result as tokens (width D = "
                "channels, on a height x width grid), map: as a C x H x W map; same: as the "
                "input is", choices=("same", "map", "tokens")),
          memory="view", tokens="accept", prefix="identity")
def identity(b, f, x, name):
    """Identity. Free. With ``channels``, ``height``, ``width`` or ``layout``, a view of the same
    C H W values as another shape (an exporter's Reshape or Transpose)."""
    c, h, w = (x.shape[i] if f[key] is None else f[key]
               for i, key in enumerate(("channels", "height", "width")))
    tokens = x.shape.tokens if f["layout"] == "same" else f["layout"] == "tokens"
    if (c, h, w) == tuple(x.shape) and tokens == x.shape.tokens:
        shape = x.shape
    else:
        if exact(c, h, w, x.shape.elements) and c * h * w != x.shape.elements:
            raise SpecError(f"identity to {c}x{h}x{w} ({c * h * w} elements) is not a view of "
                            f"{x.shape.text()} ({x.shape.elements} elements)")
        shape = Tokens(c, h, w) if tokens else Shape(c, h, w)
    return b.add_node(name, "identity", (x,), shape, {}, op_class="other", input=x.shape)
