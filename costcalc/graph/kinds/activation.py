"""The ``activation`` kind: an element-wise activation (in place at inference)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.units import act_counts, merge

# How the model calls the activation changes what the hook- and patch-based counters see. The
# recorded act_<fn> elements are charged as for an nn.Module (torchvision's way); a call as a
# function or a tensor method adds elements under these keys, whose weights are the measured
# difference from the module on the same input (torch 2.14.1, ptflops 0.7.5, calflops 0.3.2; every
# other tool, fvcore, thop, torchinfo, FlopCounterMode and onnx-tool on the export, charges the
# three calls alike). ptflops hooks nn.ReLU and patches F.relu: a module costs it 2 per element,
# F.relu 1, torch.relu 0. calflops patches F.relu and F.relu6, but nn.ReLU6 runs F.hardtanh, so
# only the function costs it 1. Hardswish, hardsigmoid, sigmoid and SiLU: no counter tells the
# calls apart, so nothing is added.
FUNCTIONAL = {
    "relu": q.declare("functional_relu", "relu elements called as F.relu (no module hook)",
                      macs={"ptflops": -1}),
    "relu6": q.declare("functional_relu6", "relu6 elements called as F.relu6 (patched by calflops)",
                       flops={"calflops-flops": 1}),
}
TENSOR = {
    "relu": q.declare("tensor_relu", "relu elements called as torch.relu or x.relu() (no patched "
                      "function)", macs={"ptflops": -1}, flops={"calflops-flops": -1}),
}
TENSOR_METHODS = ("relu", "sigmoid")  # torch.relu / x.relu(), torch.sigmoid / x.sigmoid()
CALLS = (False, True, "tensor")


def call_counts(fn: str, call, elements) -> dict:
    """The quantities ``call`` (False: module, True: function, tensor) adds to act_<fn>'s."""
    if call == "tensor" and fn not in TENSOR_METHODS:
        raise SpecError(f"{fn} has no tensor method in PyTorch; functional: true is F.{fn}, "
                        f"false an nn.Module")
    counts = {}
    if call in (True, "tensor") and fn in FUNCTIONAL:
        counts[FUNCTIONAL[fn]] = elements
    if call == "tensor" and fn in TENSOR:
        counts[TENSOR[fn]] = elements
    return counts


@register("activation", Field("fn", "choice", choices=q.ACTIVATIONS),
          Field("functional", "choice", False, "how the model calls it: false, an nn.Module "
                "(nn.ReLU); true, a function (F.relu, F.relu6, F.hardswish, ...); tensor, a torch "
                "or tensor method (torch.relu, x.relu(), torch.sigmoid). The profiler "
                "conventions charge each as the tool does", choices=CALLS),
          memory="inplace", tokens="accept", prefix="act", aliases=("act",))
def activation(b, f, x, name):
    """Element-wise activation. 0 MACs in the paper convention; C H W elements recorded (plus
    the same number under functional_<fn> / tensor_<fn> for a call that is not a module).

    A module runs in place (torchvision's inplace=True); a function or tensor method writes a
    new tensor (PyTorch's default inplace=False).
    """
    elements = x.shape.elements
    counts = merge(act_counts(f["fn"], elements), call_counts(f["fn"], f["functional"], elements))
    extra = {} if f["functional"] is False else {"memory": None}
    return b.add_node(name, "activation", (x,), x.shape, counts, act=f["fn"], op_class="other",
                      input=x.shape, functional=f["functional"], **extra)
