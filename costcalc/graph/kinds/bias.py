"""The ``bias`` kind: a learned per-channel shift added on its own (a bias outside its layer)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import LEARNED, per_channel_letters

PARAMS = q.BIAS_PARAMS


@register("bias", LEARNED, memory="inplace", letters=per_channel_letters(1, "learned"),
          tokens="accept", prefix="bias")
def bias(b, f, x, name):
    """y = x + beta with one learned beta per channel (per width D of tokens); with ``learned:
    false`` a constant. 0 MACs in the paper convention; C H W adds recorded; params C (0 when
    not learned)."""
    counts = {q.ADD: x.shape.elements}
    if f["learned"]:
        counts[PARAMS] = x.shape.c
    return b.add_node(name, "bias", (x,), x.shape, counts, learned=f["learned"],
                      op_class="other", input=x.shape)
