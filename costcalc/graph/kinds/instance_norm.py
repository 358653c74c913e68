"""The ``instance_norm`` kind: InstanceNorm, statistics over H x W of each channel."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.norms import norm_counts
from costcalc.graph.registry import Field, register
from costcalc.graph.units import per_channel_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
INSTANCE_NORM = q.INSTANCE_NORM
INSTANCE_NORM_AFFINE = q.INSTANCE_NORM_AFFINE


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
