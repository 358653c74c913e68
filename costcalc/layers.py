"""Primitive layer kinds: shape rule and counts, each formula written once for ints and for sympy.

Counting convention of the quantities recorded here (conventions.py weighs them): one fused
multiply-add is one MAC; a conv records its multiply-adds without bias; bias, BatchNorm,
activations, pooling, adds and SE scaling are recorded as separate quantities so that each
counting convention can decide whether they cost anything. Batch size is 1.

Spatial sizes follow PyTorch's floor rule for explicit padding and TF's SAME rule
(``ceil(H / stride)``) for ``padding: same``; the two agree for odd kernels with symmetric padding.
"""
from __future__ import annotations

from typing import Any

from costcalc import counts as q
from costcalc import expr
from costcalc.errors import SpecError
from costcalc.kinds import Field, Shape, register

ACTS = ("none",) + q.ACTIVATIONS
PADDING = Field("padding", "padding", "same", "same, valid or pixels on each side")
ACT = Field("act", "choice", "none", "activation after the layer", choices=ACTS)
BN = Field("bn", "bool", False, "BatchNorm after the layer")


def divide(a: Any, b: Any) -> Any:
    """Exact division of whole numbers that are known to divide; plain division for sympy."""
    if expr.is_exact(a) and expr.is_exact(b):
        return a // b
    return a / b


def exact(*values: Any) -> bool:
    return all(expr.is_exact(v) for v in values)


def out_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """Output side of a window op.

    ``same``: ceil(H / s). Explicit padding p: floor((H + 2p - d(k-1) - 1) / s) + 1 (ceil with
    ceil_mode, PyTorch's rule that the last window must start inside the input). With symmetric
    'same' padding 2p = d(k-1) the two rules coincide, so the closed form is H / s either way.
    """
    span = dilation * (kernel - 1) + 1
    pad = 0 if padding == "valid" else padding
    if padding == "same" or (2 * pad == span - 1 and not ceil_mode):
        if exact(size, stride):
            return -(-size // stride)  # ceil(H / s), exactly, in integer arithmetic
        return expr.FUNCTIONS["ceil"](size / stride)
    if exact(size, span, pad) and span > size + 2 * pad:
        raise SpecError(f"kernel {kernel} (span {span}) is larger than the padded input "
                        f"{size + 2 * pad}: the spatial size would reach zero")
    numerator = size + 2 * pad - span
    if ceil_mode:
        if exact(numerator, stride):
            out = -(-numerator // stride) + 1
            if (out - 1) * stride >= size + pad:
                out -= 1
            return out
        return expr.FUNCTIONS["ceil"](numerator / stride) + 1
    if exact(numerator, stride):
        return numerator // stride + 1
    return expr.FUNCTIONS["floor"](numerator / stride) + 1


def bn_counts(channels: Any, elements: Any) -> dict:
    """BatchNorm: 0 MACs in the paper convention; 2 affine + 2 running values per channel."""
    return {q.BN: elements, q.BN_CHANNELS: channels, q.BN_AFFINE: 2 * channels,
            q.BN_RUNNING: 2 * channels}


def act_counts(fn: str, elements: Any) -> dict:
    return {} if fn == "none" else {q.act(fn): elements}


def merge(*parts: dict) -> dict:
    total: dict = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def conv_unit(b, x, name, *, out, kernel=1, stride=1, padding="same", groups=1, dilation=1,
              bias=False, bn=False, act="none", kind="conv", op_class=None):
    """Convolution (+ optional BatchNorm and activation, fused into one node).

    MACs = K^2 * (C_in / g) * C_out * H_out * W_out;  weights = K^2 * (C_in / g) * C_out;
    biases = C_out.  Depthwise (g = C_in = C_out): MACs = K^2 * C * H_out * W_out.
    """
    cin = x.shape.c
    if exact(cin, groups, out):
        if cin % groups or out % groups:
            raise SpecError(f"groups={groups} must divide input channels {cin} and output "
                            f"channels {out}")
    h = out_size(x.shape.h, kernel, stride, padding, dilation)
    # the same object in gives the same side out (square inputs: computed once)
    w = h if x.shape.w is x.shape.h else out_size(x.shape.w, kernel, stride, padding, dilation)
    shape = Shape(out, h, w)
    elements = shape.elements
    weights = kernel * kernel * divide(cin, groups) * out
    counts = {q.CONV_MACS: weights * h * w, q.WEIGHTS: weights}
    if bias:
        counts.update({q.CONV_BIAS: elements, q.BIASES: out})
    if bn:  # BN and activation quantities are keys of their own: plain updates suffice
        counts.update(bn_counts(out, elements))
    if act != "none":
        counts[q.act(act)] = elements
    if op_class is None:
        if groups != 1 and groups == cin:
            op_class = "depthwise"
        elif kernel == 1:
            op_class = "pointwise"
        else:
            op_class = "conv"
    if kind == "conv":
        kind = {"depthwise": "dwconv", "pointwise": "pwconv"}.get(op_class, "conv")
    return b.add_node(name, kind, (x,), shape, counts, kernel=kernel, stride=stride,
                      groups=groups, dilation=dilation, in_channels=cin, bias=bias, bn=bn, act=act,
                      op_class=op_class, input=x.shape)


CONV_FIELDS = (Field("kernel", "count", 3), Field("stride", "count", 1), PADDING,
               Field("dilation", "count", 1), Field("bias", "bool", False), BN, ACT)


@register("conv", Field("out", "count", doc="output channels"), *CONV_FIELDS,
          Field("groups", "count", 1), prefix="conv")
def conv(b, f, x, name):
    """Convolution. MACs = K^2 (C_in/g) C_out H_out W_out; params = K^2 (C_in/g) C_out (+ C_out bias)."""
    return conv_unit(b, x, name, **f)


@register("dwconv", *CONV_FIELDS, Field("multiplier", "count", 1), prefix="dw",
          aliases=("depthwise",))
def dwconv(b, f, x, name):
    """Depthwise convolution (one K x K filter per channel). MACs = K^2 C m H_out W_out; params = K^2 C m."""
    multiplier = f.pop("multiplier")
    return conv_unit(b, x, name, out=x.shape.c * multiplier, groups=x.shape.c, kind="dwconv", **f)


@register("pwconv", Field("out", "count"), Field("bias", "bool", False), BN, ACT,
          Field("groups", "count", 1), prefix="pw", aliases=("pointwise",))
def pwconv(b, f, x, name):
    """Pointwise (1x1) convolution. MACs = C_in C_out H W; params = C_in C_out (+ C_out bias)."""
    return conv_unit(b, x, name, kernel=1, kind="pwconv", **f)


@register("linear", Field("out", "count"), Field("bias", "bool", True), ACT, prefix="fc",
          aliases=("fc",))
def linear(b, f, x, name):
    """Fully connected layer on a flat input. MACs = C_in C_out; params = C_in C_out (+ C_out bias)."""
    cin, h, w = x.shape
    if exact(h, w) and (h, w) != (1, 1):
        raise SpecError(f"linear needs a flat input (1x1), got {cin}x{h}x{w}: add flatten or "
                        "global_avg_pool first")
    out = f["out"]
    counts = {q.LINEAR_MACS: cin * out, q.WEIGHTS: cin * out}
    if f["bias"]:
        counts.update({q.LINEAR_BIAS: out, q.BIASES: out})
    counts = merge(counts, act_counts(f["act"], out))
    return b.add_node(name, "linear", (x,), Shape(out, 1, 1), counts, in_channels=cin,
                      bias=f["bias"], act=f["act"], op_class="linear", input=x.shape)


@register("bn", prefix="bn", aliases=("batchnorm",))
def batchnorm(b, f, x, name):
    """BatchNorm. 0 MACs (folded at inference); params 2C affine + 2C running statistics."""
    return b.add_node(name, "bn", (x,), x.shape, bn_counts(x.shape.c, x.shape.elements),
                      op_class="other", input=x.shape)


@register("activation", Field("fn", "choice", choices=q.ACTIVATIONS), prefix="act",
          aliases=("act",))
def activation(b, f, x, name):
    """Element-wise activation. 0 MACs in the paper convention; C H W elements recorded."""
    return b.add_node(name, "activation", (x,), x.shape, act_counts(f["fn"], x.shape.elements),
                      act=f["fn"], op_class="other", input=x.shape)


POOL_FIELDS = (Field("kernel", "count"), Field("stride", "count", None, "defaults to kernel"),
               Field("padding", "padding", 0), Field("ceil_mode", "bool", False))


def _pool(b, f, x, name, kind, keys):
    padding, kernel = f["padding"], f["kernel"]
    if exact(padding, kernel) and 2 * padding > kernel:
        # PyTorch's pools refuse it ("pad should be at most half of kernel size"): a window
        # would lie wholly in the padding.
        raise SpecError(f"{kind} padding {padding} is more than half the kernel {kernel} "
                        f"(at most {kernel // 2})")
    stride = f["stride"] or f["kernel"]
    h = out_size(x.shape.h, f["kernel"], stride, f["padding"], 1, f["ceil_mode"])
    w = h if x.shape.w is x.shape.h else out_size(x.shape.w, f["kernel"], stride, f["padding"],
                                                  1, f["ceil_mode"])
    shape = Shape(x.shape.c, h, w)
    counts = {keys[0]: x.shape.elements, keys[1]: shape.elements,
              keys[2]: f["kernel"] * f["kernel"] * shape.elements}
    return b.add_node(name, kind, (x,), shape, counts, kernel=f["kernel"], stride=stride,
                      op_class="other", input=x.shape)


@register("avgpool", *POOL_FIELDS, prefix="pool")
def avgpool(b, f, x, name):
    """K x K average pool. 0 MACs in the paper convention; no params."""
    return _pool(b, f, x, name, "avgpool", (q.AVGPOOL_IN, q.AVGPOOL_OUT, q.AVGPOOL_WINDOW))


@register("maxpool", *POOL_FIELDS, prefix="pool")
def maxpool(b, f, x, name):
    """K x K max pool. 0 MACs in the paper convention; no params."""
    return _pool(b, f, x, name, "maxpool", (q.MAXPOOL_IN, q.MAXPOOL_OUT, q.MAXPOOL_WINDOW))


POOL_CALLS = (False, True, "mean")


@register("global_avg_pool", Field("functional", "choice", False,
                                   "how the model computes it: false, a pooling module "
                                   "(nn.AdaptiveAvgPool2d); true, a functional pool "
                                   "(F.adaptive_avg_pool2d, torchvision MobileNet v2); mean, a "
                                   "tensor mean x.mean([2, 3]) (torchvision MnasNet, ShuffleNet "
                                   "v2). Hook-based counters see only modules; most counters "
                                   "see no mean", choices=POOL_CALLS),
          prefix="pool", aliases=("gap",))
def global_avg_pool(b, f, x, name):
    """Global average pool to C x 1 x 1. 0 MACs in the paper convention; no params.

    Records C H W elements in and C out as gap_in/gap_out; also as gap_module_in/gap_module_out
    for a pooling module; as mean_in only for a tensor mean (``functional: mean``).
    """
    return global_avg_pool_node(b, x, name, functional=f["functional"])


def global_avg_pool_node(b, x, name, functional=False):
    shape = Shape(x.shape.c, 1, 1)
    if functional == "mean":
        counts = {q.MEAN_IN: x.shape.elements}
    else:
        counts = {q.GAP_IN: x.shape.elements, q.GAP_OUT: shape.elements}
    if functional is False:
        counts.update({q.GAP_MODULE_IN: x.shape.elements, q.GAP_MODULE_OUT: shape.elements})
    return b.add_node(name, "global_avg_pool", (x,), shape, counts, op_class="other",
                      input=x.shape)


@register("adaptive_avg_pool", Field("size", "count"), prefix="pool")
def adaptive_avg_pool(b, f, x, name):
    """Adaptive average pool to C x S x S (torchvision's VGG/AlexNet heads). No MACs, no params.

    Records gap_in and the module quantities; gap_out only for S = 1, a global average (ONNX
    exports S > 1 as an AveragePool with a window of (H/S) x (W/S), not a GlobalAveragePool).
    """
    shape = Shape(x.shape.c, f["size"], f["size"])
    counts = {q.GAP_IN: x.shape.elements, q.GAP_MODULE_IN: x.shape.elements,
              q.GAP_MODULE_OUT: shape.elements}
    if exact(f["size"]) and f["size"] == 1:
        counts[q.GAP_OUT] = shape.elements
    return b.add_node(name, "adaptive_avg_pool", (x,), shape, counts, op_class="other",
                      input=x.shape)


@register("flatten", prefix="flatten")
def flatten(b, f, x, name):
    """Flatten C x H x W to (C H W) x 1 x 1. Free."""
    return b.add_node(name, "flatten", (x,), Shape(x.shape.elements, 1, 1), {}, op_class="other",
                      input=x.shape)


@register("dropout", Field("p", "number", 0, "probability of zeroing an element, 0 <= p < 1",
                           below=1), prefix="dropout")
def dropout(b, f, x, name):
    """Dropout: identity at inference. Free. p in [0, 1) as Keras' rate (p = 1 drops all)."""
    return b.add_node(name, "dropout", (x,), x.shape, {}, op_class="other", input=x.shape)


@register("identity", prefix="identity")
def identity(b, f, x, name):
    """Identity. Free."""
    return b.add_node(name, "identity", (x,), x.shape, {}, op_class="other", input=x.shape)


@register("channel_shuffle", Field("groups", "count", 2), prefix="shuffle")
def channel_shuffle(b, f, x, name):
    """Channel shuffle (ShuffleNet): a permutation of channels. Free."""
    if exact(x.shape.c, f["groups"]) and x.shape.c % f["groups"]:
        raise SpecError(f"channel_shuffle groups={f['groups']} must divide channels {x.shape.c}")
    return b.add_node(name, "channel_shuffle", (x,), x.shape, {}, op_class="other",
                      input=x.shape)


@register("channel_split", Field("parts", "count", 2), Field("index", "count", 0, minimum=0),
          prefix="split")
def channel_split(b, f, x, name):
    """Take part ``index`` of ``parts`` equal channel groups (ShuffleNet v2). Free."""
    c, parts = x.shape.c, f["parts"]
    if exact(c, parts):
        if parts > c or c % parts:
            raise SpecError(f"channel_split into {parts} parts does not fit {c} channels")
        if f["index"] >= parts:
            raise SpecError(f"channel_split index {f['index']} out of range for {parts} parts")
    return b.add_node(name, "channel_split", (x,), Shape(divide(c, parts), x.shape.h, x.shape.w),
                      {}, op_class="other", input=x.shape)


def add_merge(b, inputs, name, act="none"):
    """Element-wise add of equal shapes. 0 MACs in the paper convention; (n-1) C H W adds recorded."""
    shape = inputs[0].shape
    for other in inputs[1:]:
        if other.shape != shape and exact(*shape, *other.shape):
            raise SpecError(f"cannot add tensors of shapes {shape.text()} and {other.shape.text()}")
    counts = merge({q.ADD: (len(inputs) - 1) * shape.elements}, act_counts(act, shape.elements))
    return b.add_node(name, "add", tuple(inputs), shape, counts, act=act, op_class="other",
                      input=shape)


def concat_merge(b, inputs, name):
    """Concatenate along channels; heights and widths must agree. Free."""
    first = inputs[0].shape
    for other in inputs[1:]:
        if exact(first.h, first.w, other.shape.h, other.shape.w) and \
                (other.shape.h, other.shape.w) != (first.h, first.w):
            raise SpecError(f"cannot concat tensors of shapes {first.text()} and "
                            f"{other.shape.text()}: heights and widths differ")
    channels = sum(t.shape.c for t in inputs[1:]) + first.c
    return b.add_node(name, "concat", tuple(inputs), Shape(channels, first.h, first.w), {},
                      op_class="other", input=first)


def scale_merge(b, x, gate, name):
    """SE scaling: x * gate broadcast over H x W. C H W multiplies recorded (0 in the paper)."""
    return b.add_node(name, "scale", (x, gate), x.shape, {q.MUL: x.shape.elements},
                      op_class="other", input=x.shape)
