"""The ``maxpool`` kind: a K x K max pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import POOL_FIELDS, pool_unit


@register("maxpool", *POOL_FIELDS, prefix="pool")
def maxpool(b, f, x, name):
    """K x K max pool. 0 MACs in the paper convention; no params."""
    return pool_unit(b, f, x, name, "maxpool", (q.MAXPOOL_IN, q.MAXPOOL_OUT, q.MAXPOOL_WINDOW))
