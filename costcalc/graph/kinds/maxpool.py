"""The ``maxpool`` kind: a K x K max pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, register
from costcalc.graph.units import POOL_FIELDS, pool_unit

# F.max_pool2d instead of nn.MaxPool2d: ptflops (hook + patched F.max_pool2d on a module)
# charges its input once, not twice; the other tools alike (torch 2.14.1, ptflops 0.7.5).
FUNCTIONAL_IN = q.declare("functional_maxpool_in", "max pool input elements, called as "
                          "F.max_pool2d (no module hook)", macs={"ptflops": -1})


@register("maxpool", *POOL_FIELDS, prefix="pool")
def maxpool(b, f, x, name):
    """K x K max pool. 0 MACs in the paper convention; no params. A functional call records its
    input again as functional_maxpool_in."""
    return pool_unit(b, f, x, name, "maxpool", (q.MAXPOOL_IN, q.MAXPOOL_OUT, q.MAXPOOL_WINDOW),
                     (FUNCTIONAL_IN,))
