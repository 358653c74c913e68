"""The ``global_avg_pool`` kind: average over H x W to C x 1 x 1."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import global_avg_pool_node


@register("global_avg_pool", Field("functional", "bool", False,
                                   "computed by a functional call, not a pooling module "
                                   "(torchvision MobileNet v2); matters to hook-based counters"),
          prefix="pool", aliases=("gap",))
def global_avg_pool(b, f, x, name):
    """Global average pool to C x 1 x 1. 0 MACs in the paper convention; no params."""
    return global_avg_pool_node(b, x, name, functional=f["functional"])
