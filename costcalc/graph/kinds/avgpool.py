"""The ``avgpool`` kind: a K x K average pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import POOL_FIELDS, pool_unit


@register("avgpool", *POOL_FIELDS, prefix="pool")
def avgpool(b, f, x, name):
    """K x K average pool. 0 MACs in the paper convention; no params."""
    return pool_unit(b, f, x, name, "avgpool", (q.AVGPOOL_IN, q.AVGPOOL_OUT, q.AVGPOOL_WINDOW))
