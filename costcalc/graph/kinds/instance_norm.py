"""The ``instance_norm`` kind: InstanceNorm, statistics over H x W of each channel."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.norms import norm_counts
from costcalc.graph.registry import Field, register
from costcalc.graph.units import per_channel_letters

# Measured on nn.InstanceNorm2d with and without affine: fvcore 4 + 1 when affine; ptflops
# 1 + 1; thop 2 + 2; calflops' FLOPs 4 + 1; onnx-tool 7 either way.
INSTANCE_NORM = q.declare("instance_norm", "InstanceNorm elements",
                          macs={"fvcore": 4, "ptflops": 1, "thop": 2, "onnx-tool": 7},
                          flops={"calflops-flops": 4})
INSTANCE_NORM_AFFINE = q.declare("instance_norm_affine", "affine InstanceNorm elements",
                                 macs={"fvcore": 1, "ptflops": 1, "thop": 2},
                                 flops={"calflops-flops": 1})


@register("instance_norm", Field("affine", "bool", False, "learned per-channel scale and shift "
                                 "(2C params; PyTorch's default is false)"),
          letters=per_channel_letters(2), prefix="in")
def instance_norm(b, f, x, name):
    """InstanceNorm: statistics over the H x W of each channel, then optional per-channel affine.

    0 MACs in the paper convention; C H W elements recorded; params 2C when affine.
    """
    counts = norm_counts(INSTANCE_NORM, INSTANCE_NORM_AFFINE, x.shape.c, x.shape.elements,
                         f["affine"])
    return b.add_node(name, "instance_norm", (x,), x.shape, counts, affine=f["affine"],
                      op_class="other", input=x.shape)
