"""The ``dropout`` kind: identity at inference (a view)."""
from __future__ import annotations

from costcalc.graph.registry import Field, register


@register("dropout", Field("p", "number", 0, "probability of zeroing an element, 0 <= p < 1",
                           below=1), memory="view", tokens="accept", prefix="dropout")
def dropout(b, f, x, name):
    """Dropout: identity at inference. Free. p in [0, 1) as Keras' rate (p = 1 drops all)."""
    return b.add_node(name, "dropout", (x,), x.shape, {}, op_class="other", input=x.shape)
