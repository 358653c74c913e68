"""The ``tanh`` kind: the hyperbolic tangent activation (MaxViT's classifier head)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import free_letters

# Measured on nn.Tanh() after an nn.Linear (512 and 300 features) and on a 16 x 8 x 8 map:
# onnx-tool charges its Tanh 76 per element; fvcore, ptflops (both backends), thop, torchinfo,
# FlopCounterMode and calflops (MACs and FLOPs) 0.
TANH = q.declare("act_tanh", "tanh activation elements", macs={"onnx-tool": 76})


@register("tanh", letters=free_letters, tokens="accept", prefix="tanh")
def tanh(b, f, x, name):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x), element-wise as an nn.Tanh module. Not in place
    (nn.Tanh writes a new tensor). 0 MACs and no params in the paper convention; C H W elements
    recorded."""
    return b.add_node(name, "tanh", (x,), x.shape, {TANH: x.shape.elements}, op_class="other",
                      input=x.shape)
