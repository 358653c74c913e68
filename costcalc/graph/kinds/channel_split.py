"""The ``channel_split`` kind: one of equal channel groups (a view)."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import divide, exact


@register("channel_split", Field("parts", "count", 2), Field("index", "count", 0, minimum=0),
          memory="view", prefix="split")
def channel_split(b, f, x, name):
    """Take part ``index`` of ``parts`` equal channel groups (ShuffleNet v2). Free."""
    c, parts = x.shape.c, f["parts"]
    if exact(c, parts):
        if parts > c or c % parts:
            raise SpecError(f"channel_split into {parts} parts does not fit {c} channels")
        if f["index"] >= parts:
            raise SpecError(f"channel_split index {f['index']} out of range for {parts} parts")
    return b.add_node(name, "channel_split", (x,), Shape(divide(c, parts), x.shape.h, x.shape.w),
                      {}, op_class="other", input=x.shape)
