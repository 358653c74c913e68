"""The ``layer_norm`` kind: LayerNorm over the channels at each position (ConvNeXt's LayerNorm2d)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.norms import AFFINE, norm_counts
from costcalc.graph.registry import Field, register
from costcalc.graph.units import per_channel_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
LAYER_NORM = q.LAYER_NORM
LAYER_NORM_AFFINE = q.LAYER_NORM_AFFINE
MODULE = q.LAYER_NORM_MODULE
MODULE_AFFINE = q.LAYER_NORM_MODULE_AFFINE
LAYER_NORM_ROWS = q.LAYER_NORM_ROWS


@register("layer_norm", AFFINE,
          Field("channels_last", "bool", False, "nn.LayerNorm on a channels-last (permuted) "
                "map, as in ConvNeXt's blocks; false: torchvision's LayerNorm2d. Matters to "
                "hook-based counters"), letters=per_channel_letters(2), tokens="accept", prefix="ln")
def layer_norm(b, f, x, name):
    """LayerNorm over the C channels of each of the H W positions (over the width D of each of
    the N tokens of a token input): y = (x - mean) / std * g + b.

    0 MACs in the paper convention; C H W elements and H W rows recorded; params 2C when affine.
    """
    counts = norm_counts(LAYER_NORM, LAYER_NORM_AFFINE, x.shape.c, x.shape.elements, f["affine"])
    counts[LAYER_NORM_ROWS] = x.shape.h * x.shape.w
    if f["channels_last"] or x.shape.tokens:  # tokens: always nn.LayerNorm over the last dim
        counts[MODULE] = x.shape.elements
        if f["affine"]:
            counts[MODULE_AFFINE] = x.shape.elements
    return b.add_node(name, "layer_norm", (x,), x.shape, counts, affine=f["affine"],
                      channels_last=f["channels_last"] or x.shape.tokens, op_class="other",
                      input=x.shape)
