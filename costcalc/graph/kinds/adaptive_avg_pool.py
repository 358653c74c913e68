"""The ``adaptive_avg_pool`` kind: average pool to a fixed S x S."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape, register


@register("adaptive_avg_pool", Field("size", "count"), prefix="pool")
def adaptive_avg_pool(b, f, x, name):
    """Adaptive average pool to C x S x S (torchvision's VGG/AlexNet heads). No MACs, no params."""
    shape = Shape(x.shape.c, f["size"], f["size"])
    return b.add_node(name, "adaptive_avg_pool", (x,), shape,
                      {q.GAP_IN: x.shape.elements, q.GAP_OUT: shape.elements,
                       q.GAP_MODULE_IN: x.shape.elements, q.GAP_MODULE_OUT: shape.elements},
                      op_class="other", input=x.shape)
