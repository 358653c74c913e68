"""The ``linear`` kind: a fully connected layer on a flat input, or at every position of a map."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.errors import SpecError
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import linear_letters, ACT, act_counts, exact, merge

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
ROW_MACS = q.ROW_LINEAR_MACS
ROW_BIAS = q.ROW_LINEAR_BIAS
ROW_PARAMS = q.ROW_LINEAR_PARAMS


def _letters(node, resolve):
    """The formula table's template: M N, times the H W positions with per_position."""
    macs, params = linear_letters(node, resolve)
    if node.shape.tokens:  # N = h w token rows
        macs = [[("number", resolve(node.shape.h * node.shape.w))] + term for term in macs]
    elif node.info.get("per_position"):
        macs = [[("spatial", resolve(node.shape.h), resolve(node.shape.w))] + term
                for term in macs]
    return macs, params


@register("linear", Field("out", "count"), Field("bias", "bool", True), ACT,
          Field("per_position", "bool", False, "apply to the C values at each of the H W "
                "positions (nn.Linear on a channels-last map: ConvNeXt's MLP)"),
          letters=_letters, tokens="accept", prefix="fc", aliases=("fc",))
def linear(b, f, x, name):
    """Fully connected layer. MACs = C_in C_out (R C_in C_out over R = H W positions with
    per_position, or over the R = N tokens of a token input: D_in D_out per token);
    params = C_in C_out (+ C_out bias)."""
    cin, h, w = x.shape
    out = f["out"]
    if f["per_position"] or x.shape.tokens:
        rows = h * w
        shape = x.shape._replace(c=out)
        counts = {ROW_MACS: rows * cin * out, q.WEIGHTS: cin * out, ROW_PARAMS: cin * out}
        if f["bias"]:
            counts.update({ROW_BIAS: rows * out, q.BIASES: out, ROW_PARAMS: cin * out + out})
        counts = merge(counts, act_counts(f["act"], shape.elements))
        return b.add_node(name, "linear", (x,), shape, counts, in_channels=cin, bias=f["bias"],
                          act=f["act"], per_position=True, op_class="linear", input=x.shape)
    # (tokens are rows: a token input takes the branch above whatever per_position says)
    if exact(h, w) and (h, w) != (1, 1):
        raise SpecError(f"linear needs a flat input (1x1), got {cin}x{h}x{w}: add flatten or "
                        "global_avg_pool first, or set per_position: true")
    counts = {q.LINEAR_MACS: cin * out, q.WEIGHTS: cin * out}
    if f["bias"]:
        counts.update({q.LINEAR_BIAS: out, q.BIASES: out})
    counts = merge(counts, act_counts(f["act"], out))
    return b.add_node(name, "linear", (x,), Shape(out, 1, 1), counts, in_channels=cin,
                      bias=f["bias"], act=f["act"], op_class="linear", input=x.shape)
