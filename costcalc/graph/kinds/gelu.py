"""The ``gelu`` kind: the GELU activation, exact (erf) or its tanh approximation."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import Field, register

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
GELU = q.ACT_GELU
GELU_TANH = q.ACT_GELU_TANH
FUNCTIONAL_GELU = q.FUNCTIONAL_GELU


@register("gelu", Field("approximate", "choice", "none", "none: x Phi(x) with erf; tanh: "
                        "PyTorch's tanh approximation", choices=("none", "tanh")),
          Field("functional", "bool", False, "true: called as F.gelu, not an nn.GELU module "
                "(hook-based counters see no module)"),
          letters=free_letters, tokens="accept", prefix="gelu")
def gelu(b, f, x, name):
    """GELU: x Phi(x) (erf) or its tanh approximation. 0 MACs in the paper convention; C H W
    elements recorded (also as functional_gelu when called as F.gelu)."""
    key = GELU_TANH if f["approximate"] == "tanh" else GELU
    counts = {key: x.shape.elements}
    if f["functional"] is True:
        counts[FUNCTIONAL_GELU] = x.shape.elements
    return b.add_node(name, "gelu", (x,), x.shape, counts, approximate=f["approximate"],
                      functional=f["functional"], op_class="other", input=x.shape)
