"""The ``layer_norm`` kind: LayerNorm over the channels at each position (ConvNeXt's LayerNorm2d)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.norms import AFFINE, norm_counts
from costcalc.graph.registry import Field, register
from costcalc.graph.units import per_channel_letters

# Measured on torchvision's LayerNorm2d (a subclass of nn.LayerNorm that permutes around
# F.layer_norm): fvcore's norm handler charges 4 per element + 1 when affine; calflops' FLOPs
# likewise; ptflops and thop hook exact module types and see nothing; FlopCounterMode 0;
# onnx-tool's LayerNormalization 7 per element + 29 per normalised row (fitted exactly on three
# shapes: 16x8x8, 32x4x4, 8x6x6).
LAYER_NORM = q.declare("layer_norm", "LayerNorm elements", macs={"fvcore": 4, "onnx-tool": 7},
                       flops={"calflops-flops": 4})
LAYER_NORM_AFFINE = q.declare("layer_norm_affine", "affine LayerNorm elements",
                              macs={"fvcore": 1}, flops={"calflops-flops": 1})
# nn.LayerNorm itself (on a channels-last map, as in ConvNeXt's blocks, or on tokens) is seen by
# the module hooks too: ptflops 1 per element, thop 2 + 2 when affine (measured affine: 4).
MODULE = q.declare("layer_norm_module", "LayerNorm elements, run as nn.LayerNorm",
                   macs={"ptflops": 1, "thop": 2})
MODULE_AFFINE = q.declare("layer_norm_module_affine", "affine LayerNorm elements, run as "
                          "nn.LayerNorm", macs={"thop": 2})
LAYER_NORM_ROWS = q.declare("layer_norm_rows", "LayerNorm rows (positions normalised)",
                            macs={"onnx-tool": 29})


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
