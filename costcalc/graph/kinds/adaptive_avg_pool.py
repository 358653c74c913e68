"""The ``adaptive_avg_pool`` kind: average pool to a fixed S x S."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import exact


@register("adaptive_avg_pool", Field("size", "count"),
          Field("functional", "bool", False, "true: called as F.adaptive_avg_pool2d, not an "
                "nn.AdaptiveAvgPool2d module (hook-based counters see no module)"),
          prefix="pool")
def adaptive_avg_pool(b, f, x, name):
    """Adaptive average pool to C x S x S (torchvision's VGG/AlexNet heads). No MACs, no params.

    Records gap_in, and the module quantities unless called as a function; gap_out only for
    S = 1, a global average (ONNX exports S > 1 as an AveragePool with a window of (H/S) x (W/S),
    not a GlobalAveragePool).
    """
    shape = Shape(x.shape.c, f["size"], f["size"])
    counts = {q.GAP_IN: x.shape.elements}
    if f["functional"] is not True:
        counts.update({q.GAP_MODULE_IN: x.shape.elements, q.GAP_MODULE_OUT: shape.elements})
    if exact(f["size"]) and f["size"] == 1:
        counts[q.GAP_OUT] = shape.elements
    return b.add_node(name, "adaptive_avg_pool", (x,), shape, counts, functional=f["functional"],
                      op_class="other", input=x.shape)
