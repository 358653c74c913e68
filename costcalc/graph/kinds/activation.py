"""The ``activation`` kind: an element-wise activation (in place at inference)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, register
from costcalc.graph.units import act_counts


@register("activation", Field("fn", "choice", choices=q.ACTIVATIONS), memory="inplace",
          tokens="accept", prefix="act", aliases=("act",))
def activation(b, f, x, name):
    """Element-wise activation. 0 MACs in the paper convention; C H W elements recorded."""
    return b.add_node(name, "activation", (x,), x.shape, act_counts(f["fn"], x.shape.elements),
                      act=f["fn"], op_class="other", input=x.shape)
