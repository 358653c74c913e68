"""The ``gelu`` kind: the GELU activation, exact (erf) or its tanh approximation."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import Field, register

# Measured on nn.GELU() and nn.GELU("tanh"): ptflops 2 per element (module hook + patched
# F.gelu); onnx-tool 7 (Erf form) and 84 (the tanh form's exported Pow/Tanh/Mul/Add chain) per
# element; calflops' FLOPs 1 (inside a container; a bare module makes calflops raise); fvcore,
# thop, torchinfo and FlopCounterMode 0.
GELU = q.declare("act_gelu", "gelu activation elements", macs={"ptflops": 2, "onnx-tool": 7},
                 flops={"calflops-flops": 1})
GELU_TANH = q.declare("act_gelu_tanh", "gelu (tanh approximation) activation elements",
                      macs={"ptflops": 2, "onnx-tool": 84}, flops={"calflops-flops": 1})


# F.gelu instead of nn.GELU (either form): ptflops loses the module hook and charges 1 per
# element, not 2; every other tool charges the two alike (measured as for the module above).
FUNCTIONAL_GELU = q.declare("functional_gelu", "gelu elements called as F.gelu (no module hook)",
                            macs={"ptflops": -1})


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
