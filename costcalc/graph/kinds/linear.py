"""The ``linear`` kind: a fully connected layer on a flat input."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.errors import SpecError
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import linear_letters, ACT, act_counts, exact, merge


@register("linear", Field("out", "count"), Field("bias", "bool", True), ACT,
          letters=linear_letters, prefix="fc", aliases=("fc",))
def linear(b, f, x, name):
    """Fully connected layer on a flat input. MACs = C_in C_out; params = C_in C_out (+ C_out bias)."""
    cin, h, w = x.shape
    if exact(h, w) and (h, w) != (1, 1):
        raise SpecError(f"linear needs a flat input (1x1), got {cin}x{h}x{w}: add flatten or "
                        "global_avg_pool first")
    out = f["out"]
    counts = {q.LINEAR_MACS: cin * out, q.WEIGHTS: cin * out}
    if f["bias"]:
        counts.update({q.LINEAR_BIAS: out, q.BIASES: out})
    counts = merge(counts, act_counts(f["act"], out))
    return b.add_node(name, "linear", (x,), Shape(out, 1, 1), counts, in_channels=cin,
                      bias=f["bias"], act=f["act"], op_class="linear", input=x.shape)
