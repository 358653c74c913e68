"""The ``maxpool`` kind: a K x K max pool."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, register
from costcalc.graph.units import POOL_FIELDS, pool_unit

# Measured on nn.MaxPool2d(1, 2) and F.max_pool2d(x, 1, 2) after a 1x1 conv from 16x8x8:
# ptflops charges 2 per input element for the module (its hook and its patched F.max_pool2d)
# and 1 for the functional call; every other counter charges both the same.
MODULE_IN = q.declare("maxpool_module_in", "max pool input elements, pools run as modules",
                      macs={"ptflops": 1})


@register("maxpool", *POOL_FIELDS,
          Field("functional", "bool", False, "computed by F.max_pool2d (torchvision's FPN "
                "extra level) rather than an nn.MaxPool2d module: hook-based counters see no "
                "module"), prefix="pool")
def maxpool(b, f, x, name):
    """K x K max pool. 0 MACs in the paper convention; no params."""
    return pool_unit(b, f, x, name, "maxpool", (q.MAXPOOL_IN, q.MAXPOOL_OUT, q.MAXPOOL_WINDOW),
                     MODULE_IN)
