"""The ``maxpool`` kind: a K x K max pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, register
from costcalc.graph.units import POOL_FIELDS, pool_unit

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
FUNCTIONAL_IN = q.FUNCTIONAL_MAXPOOL_IN


@register("maxpool", *POOL_FIELDS, prefix="pool")
def maxpool(b, f, x, name):
    """K x K max pool. 0 MACs in the paper convention; no params. A functional call records its
    input again as functional_maxpool_in."""
    return pool_unit(b, f, x, name, "maxpool", (q.MAXPOOL_IN, q.MAXPOOL_OUT, q.MAXPOOL_WINDOW),
                     (FUNCTIONAL_IN,))
