"""The ``bn`` kind: a standalone BatchNorm layer (in place at inference)."""
from __future__ import annotations

from costcalc.graph.registry import register
from costcalc.graph.units import bn_counts


@register("bn", memory="inplace", prefix="bn", aliases=("batchnorm",))
def batchnorm(b, f, x, name):
    """BatchNorm. 0 MACs (folded at inference); params 2C affine + 2C running statistics."""
    return b.add_node(name, "bn", (x,), x.shape, bn_counts(x.shape.c, x.shape.elements),
                      op_class="other", input=x.shape)
