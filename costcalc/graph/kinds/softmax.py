"""The ``softmax`` kind: softmax over the channels at each position."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import Field, register

# Measured on nn.Softmax over the last dim (D values per row, R rows): thop charges per row D
# exps, D - 1 adds and D divisions (3 per element - 1 per row); ptflops 1 per element;
# onnx-tool 36 per element; calflops' FLOPs 1 per element (inside a container); fvcore,
# torchinfo and FlopCounterMode 0.
SOFTMAX = q.declare("softmax", "softmax elements", macs={"thop": 3, "ptflops": 1,
                                                          "onnx-tool": 36},
                    flops={"calflops-flops": 1})
SOFTMAX_ROWS = q.declare("softmax_rows", "softmax rows (vectors normalised)", macs={"thop": -1})
# Called as F.softmax, thop (module hooks only) charges nothing; as x.softmax() (a tensor
# method), neither does ptflops nor calflops, which patch F.softmax. Measured on the same input
# as nn.Softmax; these keys carry the difference from the module.
FUNCTIONAL = q.declare("functional_softmax", "softmax elements called as F.softmax (no module "
                       "hook)", macs={"thop": -3})
FUNCTIONAL_ROWS = q.declare("functional_softmax_rows", "softmax rows called as F.softmax",
                            macs={"thop": 1})
TENSOR = q.declare("tensor_softmax", "softmax elements called as x.softmax() (no patched "
                   "function)", macs={"ptflops": -1}, flops={"calflops-flops": -1})


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
