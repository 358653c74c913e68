"""The ``tanh`` kind: the hyperbolic tangent activation (MaxViT's classifier head)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register
from costcalc.graph.units import free_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
TANH = q.ACT_TANH


@register("tanh", letters=free_letters, tokens="accept", prefix="tanh")
def tanh(b, f, x, name):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x), element-wise as an nn.Tanh module. Not in place
    (nn.Tanh writes a new tensor). 0 MACs and no params in the paper convention; C H W elements
    recorded."""
    return b.add_node(name, "tanh", (x,), x.shape, {TANH: x.shape.elements}, op_class="other",
                      input=x.shape)
