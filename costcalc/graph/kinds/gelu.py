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


@register("gelu", Field("approximate", "choice", "none", "none: x Phi(x) with erf; tanh: "
                        "PyTorch's tanh approximation", choices=("none", "tanh")),
          letters=free_letters, tokens="accept", prefix="gelu")
def gelu(b, f, x, name):
    """GELU: x Phi(x) (erf) or its tanh approximation. 0 MACs in the paper convention; C H W
    elements recorded."""
    key = GELU_TANH if f["approximate"] == "tanh" else GELU
    return b.add_node(name, "gelu", (x,), x.shape, {key: x.shape.elements},
                      approximate=f["approximate"], op_class="other", input=x.shape)
