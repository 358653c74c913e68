"""The internal ``concat`` kind: channel concatenation (branch merges).

Its build function takes the list of input tensors (``GraphBuilder.call("concat", [x, y], ...)``).
"""
from __future__ import annotations

from costcalc.graph.registry import register
from costcalc.graph.units import concat_merge


@register("concat", internal=True, tokens="accept")
def concat(b, f, inputs, name):
    """Concatenate along channels; heights and widths must agree. Free."""
    return concat_merge(b, inputs, name)
