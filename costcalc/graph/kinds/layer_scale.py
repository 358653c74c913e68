"""The ``layer_scale`` kind: a learned per-channel scale (ConvNeXt, CaiT, Swin v2 blocks)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import per_channel_letters

# A Parameter multiplied into the branch (``self.layer_scale * x``): no module, so hook-based
# counters and fvcore charge nothing (measured on ConvNeXt's CNBlock); the ONNX export's Mul
# charges 1 per element (the ``mul`` quantity, as SE scaling).
PARAMS = q.declare("layer_scale_params", "layer scale gammas (1 per channel)", "param",
                   params={"*": 1})


@register("layer_scale", memory="inplace", letters=per_channel_letters(1),
          tokens="accept", prefix="ls")
def layer_scale(b, f, x, name):
    """y = gamma * x with one learned gamma per channel. 0 MACs in the paper convention; C H W
    multiplies recorded; params C."""
    return b.add_node(name, "layer_scale", (x,), x.shape,
                      {q.MUL: x.shape.elements, PARAMS: x.shape.c}, op_class="other",
                      input=x.shape)
