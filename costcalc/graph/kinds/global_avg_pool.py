"""The ``global_avg_pool`` kind: average over H x W to C x 1 x 1."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import global_avg_pool_node


POOL_CALLS = (False, True, "mean")


@register("global_avg_pool", Field("functional", "choice", False,
                                   "how the model computes it: false, a pooling module "
                                   "(nn.AdaptiveAvgPool2d); true, a functional pool "
                                   "(F.adaptive_avg_pool2d, torchvision MobileNet v2); mean, a "
                                   "tensor mean x.mean([2, 3]) (torchvision MnasNet, ShuffleNet "
                                   "v2). Hook-based counters see only modules; most counters "
                                   "see no mean", choices=POOL_CALLS),
          prefix="pool", aliases=("gap",))
def global_avg_pool(b, f, x, name):
    """Global average pool to C x 1 x 1. 0 MACs in the paper convention; no params.

    Records C H W elements in and C out as gap_in/gap_out; also as gap_module_in/gap_module_out
    for a pooling module; as mean_in only for a tensor mean (``functional: mean``).
    """
    return global_avg_pool_node(b, x, name, functional=f["functional"])
