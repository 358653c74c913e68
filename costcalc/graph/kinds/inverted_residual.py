"""The ``inverted_residual`` kind (also ``bneck`` and ``mbconv``): expand, depthwise, SE, project, add."""
from __future__ import annotations

from costcalc import numbers
from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.kinds.se import se_unit, squeeze_channels
from costcalc.graph.units import ACTS, add_merge, conv_unit, exact


def _inverted_residual_fields(act, gate, se_act):
    return (
        Field("out", "count", doc="output channels"),
        Field("expand", "number", 6, "expansion factor t (hidden = make_divisible(C_in t, 8))"),
        Field("exp", "count", None, "hidden (expanded) channels; overrides expand"),
        Field("rounding", "choice", "make_divisible", "hidden = make_divisible(C_in t, 8) (TF) "
              "or round(C_in t) (torchvision)", choices=("make_divisible", "round")),
        Field("kernel", "count", 3), Field("stride", "count", 1), Field("dilation", "count", 1),
        Field("act", "choice", act, choices=ACTS),
        Field("se", "bool", False, "squeeze-and-excite after the depthwise conv"),
        Field("se_ratio", "number", numbers.exact_number("0.25")),
        Field("se_squeeze", "count", None, "explicit SE squeeze channels"),
        Field("se_divisor", "count", 8), Field("se_act", "choice", se_act, choices=ACTS),
        Field("se_gate", "choice", gate, choices=ACTS),
        Field("residual", "bool", None, "default: stride 1 and C_in == C_out"),
    )


def inverted_residual(b, f, x, name):
    """Inverted residual (MobileNet v2) / bneck (v3) / MBConv (EfficientNet).

    1x1 expansion M -> tM (skipped when tM == M), K x K depthwise (stride s), optional SE on tM,
    linear 1x1 projection tM -> N, residual add when s = 1 and M == N.
    MACs (stride 1) = D_F^2 M t (M + K^2 + N) [+ SE FCs].
    """
    with b.block(name, "inverted_residual"):
        return _inverted_residual(b, f, x, name)


def _inverted_residual(b, f, x, name):
    cin = x.shape.c
    stride = f["stride"]
    if f["exp"] is None and exact(f["expand"]) and f["expand"] == 0:
        # t = 0: no expansion channels at all, the block is its shortcut.
        if stride != 1 or (exact(cin, f["out"]) and cin != f["out"]):
            raise SpecError("expansion 0 leaves no path from input to output unless stride is 1 "
                            "and channels are equal")
        return b.add_node(f"{name}.identity", "identity", (x,), x.shape, {}, role="identity",
                          op_class="other", input=x.shape)
    hidden = f["exp"]
    if hidden is None:
        hidden = numbers.round_value(cin * f["expand"]) if f["rounding"] == "round" \
            else numbers.make_divisible(cin * f["expand"], 8)
    y = x
    if hidden != cin:
        y = conv_unit(b, y, f"{name}.expand", out=hidden, bn=True, act=f["act"], role="expand")
    y = conv_unit(b, y, f"{name}.dw", out=hidden, kernel=f["kernel"], stride=stride,
                  groups=hidden, dilation=f["dilation"], bn=True, act=f["act"], role="dw")
    if f["se"]:
        squeeze = f["se_squeeze"] or squeeze_channels(hidden, f["se_ratio"], f["se_divisor"])
        with b.role("se"):
            y = se_unit(b, y, f"{name}.se", squeeze=squeeze, act=f["se_act"], gate=f["se_gate"])
    y = conv_unit(b, y, f"{name}.project", out=f["out"], bn=True, role="project")
    residual = f["residual"]
    if residual is None:
        residual = stride == 1 and cin == f["out"]
    if residual:
        y = add_merge(b, [x, y], f"{name}.add")
    return y


register("inverted_residual", *_inverted_residual_fields("relu6", "hsigmoid", "relu"),
         prefix="block")(inverted_residual)
register("bneck", *_inverted_residual_fields("relu", "hsigmoid", "relu"),
         prefix="block")(inverted_residual)
register("mbconv", *_inverted_residual_fields("swish", "sigmoid", "swish"),
         prefix="block")(inverted_residual)


