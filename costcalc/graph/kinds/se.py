"""The ``se`` kind: squeeze-and-excite (pool, two 1x1 convs, a gate that scales the input)."""
from __future__ import annotations

from costcalc import numbers
from costcalc.graph.registry import Field, register
from costcalc.graph.units import ACTS, conv_unit, global_avg_pool_node, scale_merge


def se_unit(b, x, name, *, squeeze, act, gate):
    """Squeeze-and-excite on C channels with S squeeze channels (1x1 convs with bias).

    MACs = C S + S C (the two FCs; pool and scaling are not MACs in the paper convention);
    params = 2 C S + S + C.
    """
    with b.block(name, "se"):
        pooled = global_avg_pool_node(b, x, f"{name}.pool", role="pool")
        reduced = conv_unit(b, pooled, f"{name}.reduce", out=squeeze, bias=True, act=act,
                            op_class="se", role="reduce")
        gate_out = conv_unit(b, reduced, f"{name}.expand", out=x.shape.c, bias=True, act=gate,
                             op_class="se", role="excite")
        return scale_merge(b, x, gate_out, f"{name}.scale")


def squeeze_channels(channels, ratio, divisor):
    """SE squeeze width: make_divisible(C * ratio, divisor) (TF, Keras, torchvision v3)."""
    return numbers.make_divisible(channels * ratio, divisor)


SE_FIELDS = (Field("ratio", "number", numbers.exact_number("0.25"), "squeeze = C * ratio, rounded"),
             Field("squeeze", "count", None, "explicit squeeze channels (overrides ratio)"),
             Field("divisor", "count", 8, "squeeze rounded to a multiple of this"),
             Field("act", "choice", "relu", choices=ACTS),
             Field("gate", "choice", "hsigmoid", choices=ACTS))


@register("se", *SE_FIELDS, prefix="se", aliases=("squeeze_excite",))
def se(b, f, x, name):
    """Squeeze-and-excite. MACs = 2 C S with S = make_divisible(C * ratio, divisor); params 2 C S + S + C."""
    squeeze = f["squeeze"] or squeeze_channels(x.shape.c, f["ratio"], f["divisor"])
    return se_unit(b, x, name, squeeze=squeeze, act=f["act"], gate=f["gate"])
