"""The ``avgpool`` kind: a K x K average pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import POOL_FIELDS, pool_unit


# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
FUNCTIONAL_IN = q.FUNCTIONAL_AVGPOOL_IN
FUNCTIONAL_OUT = q.FUNCTIONAL_AVGPOOL_OUT


@register("avgpool", *POOL_FIELDS, prefix="pool")
def avgpool(b, f, x, name):
    """K x K average pool. 0 MACs in the paper convention; no params. A functional call records
    its input and output again as functional_avgpool_in / _out."""
    return pool_unit(b, f, x, name, "avgpool", (q.AVGPOOL_IN, q.AVGPOOL_OUT, q.AVGPOOL_WINDOW),
                     (FUNCTIONAL_IN, FUNCTIONAL_OUT))
