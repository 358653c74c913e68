"""The ``bn`` kind: a standalone BatchNorm layer (in place at inference)."""
from __future__ import annotations

from costcalc.graph.registry import Field, register
from costcalc.graph.units import bn_counts


@register("bn", Field("affine", "bool", True, "learned per-channel scale and shift (2C params; "
                      "false: nn.BatchNorm2d(affine=False), running statistics only)"),
          memory="inplace", prefix="bn", aliases=("batchnorm",))
def batchnorm(b, f, x, name):
    """BatchNorm. 0 MACs (folded at inference); params 2C affine (unless ``affine: false``) +
    2C running statistics."""
    return b.add_node(name, "bn", (x,), x.shape,
                      bn_counts(x.shape.c, x.shape.elements, f["affine"]),
                      affine=f["affine"], op_class="other", input=x.shape)
