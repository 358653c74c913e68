"""The ``layer_scale`` kind: a learned per-channel scale (ConvNeXt, CaiT, Swin v2 blocks)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import LEARNED, per_channel_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
PARAMS = q.LAYER_SCALE_PARAMS


@register("layer_scale", LEARNED, memory="inplace", letters=per_channel_letters(1, "learned"),
          tokens="accept", prefix="ls")
def layer_scale(b, f, x, name):
    """y = gamma * x with one learned gamma per channel; with ``learned: false`` a constant
    (x * 0.5). 0 MACs in the paper convention; C H W multiplies recorded; params C (0 when not
    learned)."""
    counts = {q.MUL: x.shape.elements}
    if f["learned"]:
        counts[PARAMS] = x.shape.c
    return b.add_node(name, "layer_scale", (x,), x.shape, counts, learned=f["learned"],
                      op_class="other", input=x.shape)
