"""The ``channel_shuffle`` kind: a permutation of channels (ShuffleNet)."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.units import exact


@register("channel_shuffle", Field("groups", "count", 2), prefix="shuffle")
def channel_shuffle(b, f, x, name):
    """Channel shuffle (ShuffleNet): a permutation of channels. Free."""
    if exact(x.shape.c, f["groups"]) and x.shape.c % f["groups"]:
        raise SpecError(f"channel_shuffle groups={f['groups']} must divide channels {x.shape.c}")
    return b.add_node(name, "channel_shuffle", (x,), x.shape, {}, op_class="other",
                      input=x.shape)
