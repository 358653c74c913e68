"""The ``softmax`` kind: softmax over the channels at each position."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import Field, register

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
SOFTMAX = q.SOFTMAX
SOFTMAX_ROWS = q.SOFTMAX_ROWS
FUNCTIONAL = q.FUNCTIONAL_SOFTMAX
FUNCTIONAL_ROWS = q.FUNCTIONAL_SOFTMAX_ROWS
TENSOR = q.TENSOR_SOFTMAX


@register("softmax", Field("functional", "choice", False, "how the model calls it: false, an "
                           "nn.Softmax module; true, F.softmax; tensor, x.softmax() or "
                           "torch.softmax", choices=(False, True, "tensor")),
          letters=free_letters, tokens="accept", prefix="softmax")
def softmax(b, f, x, name):
    """Softmax over the C channels of each of the H W positions: exp(x_i) / sum_j exp(x_j).

    0 MACs in the paper convention; C H W elements and H W rows recorded; no params. A call that
    is not a module records them again under functional_softmax(_rows), a tensor method also
    under tensor_softmax.
    """
    elements, rows = x.shape.elements, x.shape.h * x.shape.w
    counts = {SOFTMAX: elements, SOFTMAX_ROWS: rows}
    if f["functional"] in (True, "tensor"):
        counts.update({FUNCTIONAL: elements, FUNCTIONAL_ROWS: rows})
    if f["functional"] == "tensor":
        counts[TENSOR] = elements
    return b.add_node(name, "softmax", (x,), x.shape, counts, functional=f["functional"],
                      op_class="other", input=x.shape)
