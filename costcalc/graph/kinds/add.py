"""The internal ``add`` kind: element-wise sum of equal shapes (residuals, branch merges).

Its build function takes the list of input tensors (``GraphBuilder.call("add", [x, y], ...)``).
"""
from __future__ import annotations

from costcalc.graph.registry import register
from costcalc.graph.units import add_merge


@register("add", internal=True, memory="inplace", tokens="accept")
def add(b, f, inputs, name):
    """Element-wise add of n equal tensors. 0 MACs in the paper convention; (n-1) C H W adds."""
    return add_merge(b, inputs, name)
