"""The internal ``scale`` kind: a tensor times a per-channel gate (squeeze-and-excite).

Its build function takes the list of input tensors (``GraphBuilder.call("scale", [x, y], ...)``).
"""
from __future__ import annotations

from costcalc.graph.registry import register
from costcalc.graph.units import scale_merge


@register("scale", internal=True, memory="inplace")
def scale(b, f, inputs, name):
    """x * gate broadcast over H x W. C H W multiplies recorded (0 in the paper)."""
    x, gate = inputs
    return scale_merge(b, x, gate, name)
