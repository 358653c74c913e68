"""The ``activation`` kind: an element-wise activation (in place at inference)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.units import act_counts, merge

# The quantities a call as a function or a tensor method adds; what each counting tool charges
# for them is in graph/quantities.py.
FUNCTIONAL = {"relu": q.FUNCTIONAL_RELU, "relu6": q.FUNCTIONAL_RELU6}
TENSOR = {"relu": q.TENSOR_RELU}
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
