"""The ``channel_split`` kind: one of equal channel groups, or any channel range (a view)."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.units import divide, exact


@register("channel_split", Field("parts", "count", 2), Field("index", "count", 0, minimum=0),
          Field("channels", "count", None, "take this many channels (unequal parts) instead "
                "of part index of parts"),
          Field("offset", "count", 0, "first channel taken with channels", minimum=0),
          memory="view", tokens="accept", prefix="split")
def channel_split(b, f, x, name):
    """Take part ``index`` of ``parts`` equal channel groups (ShuffleNet v2), or ``channels``
    channels from ``offset`` (GhostNet's ``out[:, :oup]``, unequal splits); tokens split along
    their width D. Free."""
    c, parts = x.shape.c, f["parts"]
    if f["channels"] is not None:
        if f["parts"] != 2 or f["index"] != 0:
            raise SpecError("channel_split takes either parts and index or channels and offset")
        if exact(c, f["channels"], f["offset"]) and f["offset"] + f["channels"] > c:
            raise SpecError(f"channel_split channels {f['offset']}..{f['offset'] + f['channels']}"
                            f" out of range for {c} channels")
        return b.add_node(name, "channel_split", (x,), x.shape._replace(c=f["channels"]),
                          {}, op_class="other", input=x.shape)
    if f["offset"]:
        raise SpecError("channel_split offset goes with channels")
    if exact(c, parts):
        if parts > c or c % parts:
            raise SpecError(f"channel_split into {parts} parts does not fit {c} channels")
        if f["index"] >= parts:
            raise SpecError(f"channel_split index {f['index']} out of range for {parts} parts")
    return b.add_node(name, "channel_split", (x,), x.shape._replace(c=divide(c, parts)),
                      {}, op_class="other", input=x.shape)
