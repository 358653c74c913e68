"""The ``avgpool`` kind: a K x K average pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import POOL_FIELDS, pool_unit


# F.avg_pool2d instead of nn.AvgPool2d: ptflops charges its input once, not twice (no hook),
# thop nothing (its 1 per output is a module hook); the other tools alike (torch 2.14.1,
# ptflops 0.7.5, thop 0.1.1).
FUNCTIONAL_IN = q.declare("functional_avgpool_in", "average pool input elements, called as "
                          "F.avg_pool2d (no module hook)", macs={"ptflops": -1})
FUNCTIONAL_OUT = q.declare("functional_avgpool_out", "average pool outputs, called as "
                           "F.avg_pool2d (no module hook)", macs={"thop": -1})


@register("avgpool", *POOL_FIELDS, prefix="pool")
def avgpool(b, f, x, name):
    """K x K average pool. 0 MACs in the paper convention; no params. A functional call records
    its input and output again as functional_avgpool_in / _out."""
    return pool_unit(b, f, x, name, "avgpool", (q.AVGPOOL_IN, q.AVGPOOL_OUT, q.AVGPOOL_WINDOW),
                     (FUNCTIONAL_IN, FUNCTIONAL_OUT))
