"""The ``softmax`` kind: softmax over the channels at each position."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import register

# Measured on nn.Softmax over the last dim (D values per row, R rows): thop charges per row D
# exps, D - 1 adds and D divisions (3 per element - 1 per row); ptflops 1 per element;
# onnx-tool 36 per element; calflops' FLOPs 1 per element (inside a container); fvcore,
# torchinfo and FlopCounterMode 0.
SOFTMAX = q.declare("softmax", "softmax elements", macs={"thop": 3, "ptflops": 1,
                                                          "onnx-tool": 36},
                    flops={"calflops-flops": 1})
SOFTMAX_ROWS = q.declare("softmax_rows", "softmax rows (vectors normalised)", macs={"thop": -1})


@register("softmax", letters=free_letters, tokens="accept", prefix="softmax")
def softmax(b, f, x, name):
    """Softmax over the C channels of each of the H W positions: exp(x_i) / sum_j exp(x_j).

    0 MACs in the paper convention; C H W elements and H W rows recorded; no params.
    """
    counts = {SOFTMAX: x.shape.elements, SOFTMAX_ROWS: x.shape.h * x.shape.w}
    return b.add_node(name, "softmax", (x,), x.shape, counts, op_class="other", input=x.shape)
