"""The ``layer_norm`` kind: LayerNorm over the channels at each position (ConvNeXt's LayerNorm2d)."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.norms import AFFINE, SHIFT, norm_counts
from costcalc.graph.registry import Field, register
from costcalc.graph.units import free_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
LAYER_NORM = q.LAYER_NORM
LAYER_NORM_AFFINE = q.LAYER_NORM_AFFINE
MODULE = q.LAYER_NORM_MODULE
MODULE_AFFINE = q.LAYER_NORM_MODULE_AFFINE
LAYER_NORM_ROWS = q.LAYER_NORM_ROWS


def _letters(node, resolve):
    """0 MACs; params 2M (M with ``bias: false``), times H W with ``over: all``."""
    if not node.info.get("affine", True):
        return free_letters(node, resolve)
    term = [("channels", "M", resolve(node.shape.c))]
    if node.info.get("over") == "all":
        term = [("spatial", resolve(node.shape.h), resolve(node.shape.w))] + term
    return [[("number", 0)]], [[("number", 2)] + term if node.info.get("bias", True) else term]


@register("layer_norm", AFFINE, SHIFT,
          Field("channels_last", "bool", False, "nn.LayerNorm on a channels-last (permuted) "
                "map, as in ConvNeXt's blocks; false: torchvision's LayerNorm2d. Matters to "
                "hook-based counters"),
          Field("over", "choice", "channels", "channels: over the C values of each position; "
                "all: over C, H and W together with a scale and shift per element "
                "(nn.LayerNorm([C, H, W]), 2 C H W params)", choices=("channels", "all")),
          letters=_letters, tokens="accept", prefix="ln")
def layer_norm(b, f, x, name):
    """LayerNorm over the C channels of each of the H W positions (over the width D of each of
    the N tokens of a token input; with ``over: all``, over the whole C x H x W map at once):
    y = (x - mean) / std * g + b.

    0 MACs in the paper convention; C H W elements and H W rows (1 row with ``over: all``)
    recorded; params 2C when affine (C with ``bias: false``; 2 C H W and C H W over all).
    """
    whole = f["over"] == "all"
    if whole and x.shape.tokens:
        raise SpecError("layer_norm over: all takes a C x H x W map, not tokens")
    pairs = x.shape.elements if whole else x.shape.c
    counts = norm_counts(LAYER_NORM, LAYER_NORM_AFFINE, pairs, x.shape.elements, f["affine"],
                         f["bias"])
    counts[LAYER_NORM_ROWS] = 1 if whole else x.shape.h * x.shape.w
    # tokens, channels-last maps and whole maps: nn.LayerNorm itself, which module hooks see
    if f["channels_last"] or x.shape.tokens or whole:
        counts[MODULE] = x.shape.elements
        if f["affine"]:
            counts[MODULE_AFFINE] = x.shape.elements
    return b.add_node(name, "layer_norm", (x,), x.shape, counts, affine=f["affine"],
                      bias=f["bias"], over=f["over"],
                      channels_last=f["channels_last"] or x.shape.tokens, op_class="other",
                      input=x.shape)
