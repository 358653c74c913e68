"""Shared building units of the layer kinds: the one conv formula, window sizes, BN and
activation quantities, pools and merges; each formula written once for ints and for sympy.

Counting convention of the quantities recorded here (conventions.py weighs them): one fused
multiply-add is one MAC; a conv records its multiply-adds without bias; bias, BatchNorm,
activations, pooling, adds and SE scaling are recorded as separate quantities so that each
counting convention can decide whether they cost anything. Batch size is 1.

Spatial sizes follow PyTorch's floor rule for explicit padding and TF's SAME rule
(``ceil(H / stride)``) for ``padding: same``; the two agree for odd kernels with symmetric padding.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc import numbers
from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape

ACTS = ("none",) + q.ACTIVATIONS
PADDING = Field("padding", "padding", "same", "same, valid or pixels on each side ([h, w]: "
                "per side)")
ACT = Field("act", "choice", "none", "activation after the layer", choices=ACTS)
BN = Field("bn", "bool", False, "BatchNorm after the layer")
LEARNED = Field("learned", "bool", True, "false: a constant the model does not learn (x - 1, "
                "x * 0.5: an exporter's arithmetic), no params")


def divide(a: Any, b: Any) -> Any:
    """Exact division of whole numbers that are known to divide; plain division for sympy."""
    if numbers.is_exact(a) and numbers.is_exact(b):
        return a // b
    return a / b


def exact(*values: Any) -> bool:
    for v in values:
        if type(v) is not int and not numbers.is_exact(v):  # ints without a call
            return False
    return True


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
        return numbers.ceil(size / stride)
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
        return numbers.ceil(numerator / stride) + 1
    if exact(numerator, stride):
        return numerator // stride + 1
    return numbers.floor(numerator / stride) + 1


def pair(value: Any) -> tuple[Any, Any]:
    """(height, width) of a kernel, stride, padding or dilation given as one value or two."""
    if type(value) is int:
        return value, value
    return tuple(value) if isinstance(value, tuple) else (value, value)


def window_shape(x_shape: Any, kernel: Any, stride: Any, padding: Any, dilation: Any = 1,
                 ceil_mode: bool = False) -> tuple[Any, Any]:
    """Output (height, width) of a window op; each geometry value may be an (h, w) pair."""
    (kh, kw), (sh, sw), (dh, dw) = pair(kernel), pair(stride), pair(dilation)
    (ph, pw) = pair(padding) if padding not in ("same", "valid") else (padding, padding)
    h = out_size(x_shape.h, kh, sh, ph, dh, ceil_mode)
    if x_shape.w is x_shape.h and (kh, sh, ph, dh) == (kw, sw, pw, dw):
        return h, h  # the same object in gives the same side out (square inputs: computed once)
    return h, out_size(x_shape.w, kw, sw, pw, dw, ceil_mode)


def bn_counts(channels: Any, elements: Any, affine: bool = True) -> dict:
    """BatchNorm: 0 MACs in the paper convention; 2 affine (unless ``affine`` is false, as
    nn.BatchNorm2d(affine=False)) + 2 running values per channel."""
    counts = {q.BN: elements, q.BN_CHANNELS: channels, q.BN_AFFINE: 2 * channels,
              q.BN_RUNNING: 2 * channels}
    if not affine:
        del counts[q.BN_AFFINE]
    return counts


def act_counts(fn: str, elements: Any) -> dict:
    return {} if fn == "none" else {q.act(fn): elements}


def merge(*parts: dict) -> dict:
    total: dict = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


_CONV_KINDS = {"depthwise": "dwconv", "pointwise": "pwconv"}  # how a conv node is reported


def conv_unit(b, x, name, *, out, kernel=1, stride=1, padding="same", groups=1, dilation=1,
              bias=False, bn=False, act="none", kind="conv", op_class=None, role=None):
    """Convolution (+ optional BatchNorm and activation, fused into one node).

    MACs = K^2 * (C_in / g) * C_out * H_out * W_out;  weights = K^2 * (C_in / g) * C_out;
    biases = C_out.  Depthwise (g = C_in = C_out): MACs = K^2 * C * H_out * W_out.
    """
    cin = x.shape.c
    if (type(cin) is int and type(groups) is int and type(out) is int) or \
            exact(cin, groups, out):
        if cin % groups or out % groups:
            raise SpecError(f"groups={groups} must divide input channels {cin} and output "
                            f"channels {out}")
    h, w = window_shape(x.shape, kernel, stride, padding, dilation)
    shape = Shape(out, h, w)
    elements = shape.elements
    kh, kw = pair(kernel)
    weights = kh * kw * divide(cin, groups) * out
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
        kind = _CONV_KINDS.get(op_class, "conv")
    return b.add_node(name, kind, (x,), shape, counts, role=role, kernel=kernel, stride=stride,
                      groups=groups, dilation=dilation, in_channels=cin, bias=bias, bn=bn, act=act,
                      op_class=op_class, input=x.shape)


def conv_letters(node: Any, resolve: Any) -> tuple[list, list]:
    """A conv node's cost in the notes' letters, as sums of products of factors.

    MACs = D_F^2 * M * N * D_K^2 (M/g for a grouped conv; M alone, or times the multiplier, for
    a depthwise one); params = the same without D_F^2, plus N for a bias. A factor is
    ``("spatial", h, w)``, ``("channels", letter, value)``, ``("grouped", letter, value, g)``,
    ``("kernel", k)`` or ``("number", value)``; ``resolve`` maps node values to the formula's.
    """
    info = node.info
    cin = resolve(info.get("in_channels"))
    cout, h, w = (resolve(v) for v in node.shape)
    groups = resolve(info["groups"])
    if groups != 1 and groups == cin:  # depthwise: one D_K x D_K filter per channel
        chans = [("channels", "M", cin)] if cout == cin else [("channels", "M", cin),
                                                             ("number", cout / cin)]
    elif groups != 1:
        chans = [("grouped", "M", cin, groups), ("channels", "N", cout)]
    else:
        chans = [("channels", "M", cin), ("channels", "N", cout)]
    kernel = info["kernel"]
    # a K x K kernel is D_K^2; a non-square one its plain area
    weights = chans + [("number", kernel[0] * kernel[1]) if isinstance(kernel, tuple)
                       else ("kernel", kernel)]
    params = [weights] + ([[("channels", "N", cout)]] if info.get("bias") else [])
    return [[("spatial", h, w)] + weights], params


def linear_letters(node: Any, resolve: Any) -> tuple[list, list]:
    """A linear node's cost in the notes' letters: MACs = M * N; params = M * N (+ N bias)."""
    cin, cout = resolve(node.info.get("in_channels")), resolve(node.shape.c)
    weights = [("channels", "M", cin), ("channels", "N", cout)]
    params = [weights] + ([[("channels", "N", cout)]] if node.info.get("bias") else [])
    return [weights], params


CONV_FIELDS = (Field("kernel", "pair", 3), Field("stride", "pair", 1), PADDING,
               Field("dilation", "pair", 1), Field("bias", "bool", False), BN, ACT)


POOL_FIELDS = (Field("kernel", "pair"), Field("stride", "pair", None, "defaults to kernel"),
               Field("padding", "padding", 0), Field("ceil_mode", "bool", False),
               Field("functional", "bool", False, "true: called as F.max_pool2d / F.avg_pool2d, "
                     "not a pooling module (hook-based counters see no module)"))


def pool_unit(b, f, x, name, kind, keys, functional_keys=()):
    """A K x K window pool recording its input, output and window-read quantities ``keys``;
    a functional call (``f["functional"]``) records its input and output again under
    ``functional_keys`` (the kind's declared differences from a module)."""
    padding, kernel = f["padding"], f["kernel"]
    if exact(padding, kernel) and 2 * padding > kernel:
        # PyTorch's pools refuse it ("pad should be at most half of kernel size"): a window
        # would lie wholly in the padding.
        raise SpecError(f"{kind} padding {padding} is more than half the kernel {kernel} "
                        f"(at most {kernel // 2})")
    stride = f["stride"] or f["kernel"]
    h, w = window_shape(x.shape, f["kernel"], stride, f["padding"], 1, f["ceil_mode"])
    shape = Shape(x.shape.c, h, w)
    kh, kw = pair(f["kernel"])
    counts = {keys[0]: x.shape.elements, keys[1]: shape.elements,
              keys[2]: kh * kw * shape.elements}
    if f["functional"] is True:
        counts.update(zip(functional_keys, (x.shape.elements, shape.elements)))
    return b.add_node(name, kind, (x,), shape, counts, kernel=f["kernel"], stride=stride,
                      functional=f["functional"], op_class="other", input=x.shape)


def global_avg_pool_node(b, x, name, functional=False, role=None):
    """A global average pool node: a module (False), a functional pool (True) or a tensor mean
    ("mean"), which counters see differently."""
    shape = Shape(x.shape.c, 1, 1)
    if functional == "mean":
        counts = {q.MEAN_IN: x.shape.elements}
    else:
        counts = {q.GAP_IN: x.shape.elements, q.GAP_OUT: shape.elements}
    if functional is False:
        counts.update({q.GAP_MODULE_IN: x.shape.elements, q.GAP_MODULE_OUT: shape.elements})
    return b.add_node(name, "global_avg_pool", (x,), shape, counts, role=role, op_class="other",
                      input=x.shape)


def add_merge(b, inputs, name, act="none", role="add"):
    """Element-wise add of equal shapes. 0 MACs in the paper convention; (n-1) C H W adds recorded."""
    shape = inputs[0].shape
    for other in inputs[1:]:
        if other.shape != shape and exact(*shape, *other.shape):
            raise SpecError(f"cannot add tensors of shapes {shape.text()} and {other.shape.text()}")
    counts = merge({q.ADD: (len(inputs) - 1) * shape.elements}, act_counts(act, shape.elements))
    return b.add_node(name, "add", tuple(inputs), shape, counts, role=role, act=act,
                      op_class="other", input=shape)


def concat_merge(b, inputs, name, role="merge"):
    """Concatenate along channels (tokens: along D); heights and widths must agree. Free."""
    first = inputs[0].shape
    if any(t.shape.tokens != first.tokens for t in inputs[1:]):
        raise SpecError("cannot concat tokens with a C x H x W map")
    for other in inputs[1:]:
        if exact(first.h, first.w, other.shape.h, other.shape.w) and \
                (other.shape.h, other.shape.w) != (first.h, first.w):
            raise SpecError(f"cannot concat tensors of shapes {first.text()} and "
                            f"{other.shape.text()}: heights and widths differ")
    channels = sum(t.shape.c for t in inputs[1:]) + first.c
    # tokens concatenate along their width D, as maps along channels
    return b.add_node(name, "concat", tuple(inputs), first._replace(c=channels), {},
                      role=role, op_class="other", input=first)


def scale_merge(b, x, gate, name, role="scale"):
    """SE scaling: x * gate broadcast over H x W. C H W multiplies recorded (0 in the paper)."""
    return b.add_node(name, "scale", (x, gate), x.shape, {q.MUL: x.shape.elements},
                      role=role, op_class="other", input=x.shape)


def free_letters(node: Any, resolve: Any) -> tuple[list, list]:
    """The template of a kind with no multiply-adds and no weights: 0 and 0 (what a convention
    charges beyond that, e.g. fvcore's per-element norm cost, is appended as a plain term)."""
    return [[("number", 0)]], [[("number", 0)]]


def per_channel_letters(per_channel: int, flag: str = "affine") -> Any:
    """The template of a kind with ``per_channel`` parameters per input channel M (norms' 2M
    affine, layer scale's M) and no multiply-adds; 0 params when the node records none (its
    ``flag`` info, ``affine`` or ``learned``, is false)."""
    def letters(node: Any, resolve: Any) -> tuple[list, list]:
        if not node.info.get(flag, True):
            return free_letters(node, resolve)
        channels = ("channels", "M", resolve(node.shape.c))
        return [[("number", 0)]], [[("number", per_channel), channels]
                                  if per_channel != 1 else [channels]]
    return letters
