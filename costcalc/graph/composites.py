"""Composite layer kinds: each expands into primitive nodes (and sub-entries for branches)."""
from __future__ import annotations

from costcalc import numbers
from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.primitives import (ACT, ACTS, add_merge, concat_merge, conv_unit, exact,
                             global_avg_pool_node, scale_merge)


def se_unit(b, x, name, *, squeeze, act, gate):
    """Squeeze-and-excite on C channels with S squeeze channels (1x1 convs with bias).

    MACs = C S + S C (the two FCs; pool and scaling are not MACs in the paper convention);
    params = 2 C S + S + C.
    """
    with b.block(name, "se"):
        pooled = global_avg_pool_node(b, x, f"{name}.pool", role="pool")
        reduced = conv_unit(b, pooled, f"{name}.reduce", out=squeeze, bias=True, act=act,
                            op_class="se", role="reduce")
        gate_out = conv_unit(b, reduced, f"{name}.expand", out=x.shape.c, bias=True, act=gate,
                             op_class="se", role="excite")
        return scale_merge(b, x, gate_out, f"{name}.scale")


def squeeze_channels(channels, ratio, divisor):
    """SE squeeze width: make_divisible(C * ratio, divisor) (TF, Keras, torchvision v3)."""
    return numbers.make_divisible(channels * ratio, divisor)


SE_FIELDS = (Field("ratio", "number", numbers.exact_number("0.25"), "squeeze = C * ratio, rounded"),
             Field("squeeze", "count", None, "explicit squeeze channels (overrides ratio)"),
             Field("divisor", "count", 8, "squeeze rounded to a multiple of this"),
             Field("act", "choice", "relu", choices=ACTS),
             Field("gate", "choice", "hsigmoid", choices=ACTS))


@register("se", *SE_FIELDS, prefix="se", aliases=("squeeze_excite",))
def se(b, f, x, name):
    """Squeeze-and-excite. MACs = 2 C S with S = make_divisible(C * ratio, divisor); params 2 C S + S + C."""
    squeeze = f["squeeze"] or squeeze_channels(x.shape.c, f["ratio"], f["divisor"])
    return se_unit(b, x, name, squeeze=squeeze, act=f["act"], gate=f["gate"])


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


@register("depthwise_separable", Field("out", "count"), Field("kernel", "count", 3),
          Field("stride", "count", 1), Field("act", "choice", "relu", choices=ACTS),
          Field("bn", "bool", True),
          Field("separable", "bool", True, "false: the standard K x K conv it replaces"),
          prefix="block", aliases=("dsconv",))
def depthwise_separable(b, f, x, name):
    """Depthwise K x K (stride s) then pointwise 1x1 (MobileNet v1).

    MACs = D_F^2 M K^2 + D_F^2 M N; params = K^2 M + M N; the standard conv it replaces costs
    D_F^2 M N K^2, a ratio of 1/N + 1/K^2.
    """
    common = dict(stride=f["stride"], bn=f["bn"], act=f["act"])
    with b.block(name, "depthwise_separable"):
        if not f["separable"]:
            return conv_unit(b, x, f"{name}.conv", out=f["out"], kernel=f["kernel"], role="conv",
                             **common)
        y = conv_unit(b, x, f"{name}.dw", out=x.shape.c, kernel=f["kernel"], groups=x.shape.c,
                      role="dw", **common)
        return conv_unit(b, y, f"{name}.pw", out=f["out"], bn=f["bn"], act=f["act"], role="pw")


@register("residual", Field("body", "layers"),
          Field("shortcut", "shortcut", "auto", "auto, identity, projection or a list of layers",
                choices=("auto", "identity", "projection")),
          Field("stride", "count", 1, "stride of the projection shortcut"), ACT,
          prefix="block")
def residual(b, f, x, name):
    """y = act(body(x) + shortcut(x)); shortcut auto = identity, or 1x1 conv + BN when shapes differ."""
    with b.block(name, "residual"):
        with b.role("body"):
            y = f["body"](x, name)
        shortcut = f["shortcut"]
        if callable(shortcut):  # a list of layers
            with b.block(f"{name}.shortcut", "shortcut", role="shortcut"):
                s = shortcut(x, f"{name}.shortcut")
        elif shortcut == "projection" or (shortcut == "auto" and y.shape != x.shape):
            s = conv_unit(b, x, f"{name}.shortcut", out=y.shape.c, stride=f["stride"], bn=True,
                          role="shortcut")
        else:
            s = x
        return add_merge(b, [y, s], f"{name}.add", act=f["act"])


@register("parallel", Field("branches", "branches"),
          Field("merge", "choice", "concat", choices=("concat", "add")),
          Field("split", "bool", False, "split the input channels equally between branches"),
          ACT, prefix="block")
def parallel(b, f, x, name):
    """Branches on the same input (or on equal channel splits), merged by concat or add. Free merge."""
    branches = f["branches"]
    if not isinstance(branches, list) or not branches:
        raise SpecError("'branches' must be a non-empty list of layer lists")
    with b.block(name, "parallel"):
        outputs = []
        for j, branch in enumerate(branches):
            start = x
            if f["split"]:
                start = b.call("channel_split", x, f"{name}.split{j}", role="split",
                               parts=len(branches), index=j)
            if branch is not None:
                with b.block(f"{name}.branch{j}", "branch", role="branch"):
                    start = branch(start, f"{name}.branch{j}")
            outputs.append(start)
        if f["merge"] == "add":
            return add_merge(b, outputs, f"{name}.add", act=f["act"])
        y = concat_merge(b, outputs, f"{name}.concat")
        if f["act"] != "none":
            y = b.call("activation", y, f"{name}.act", role="act", fn=f["act"])
        return y
