"""Test helper: tokens of torchvision's windowed models written as torch exports them.

Swin holds tokens as a grid [1, H, W, D] (``permute(0, 2, 3, 1)`` after the patch conv) and
writes ``shifted_window_attention``: Pad to whole windows, torch.roll (Slice + Concat) when
shifted, the window partition (Reshape, Transpose, Reshape), the packed Q, K, V MatMul, Gather
of Q, K and V, Q scaled, MatMul, the relative position bias (Gather of the table by an index,
Reshape, Transpose, Unsqueeze) added, the shift mask added, Softmax, MatMul, the output
MatMul, the partition undone, rolled back and cropped; PatchMerging as Pad, stride-2 Slices,
Concat, LayerNormalization, MatMul. MaxViT holds groups of tokens [1, G, M^2, D] (the window or
grid partition of a map: Reshape, Transpose, Reshape, and for the grid a swap of the two token
axes) and writes its attention with Slice-split Q, K, V and Einsum.
"""
from __future__ import annotations

import math

from onnx import TensorProto


def write_windowed(w, index, node, ins):
    """The ONNX output of graph node ``node`` and the token form it holds (None for a map)."""
    kind, info = node.kind, node.info
    x = ins[0]
    if kind == "to_tokens":
        x = w.layout(node, x, node.inputs[0], False)
        form = w.windowed_form(index)
        if form == "grid":  # Swin: the patch conv's map permuted to channels last
            return w.op(node, "Transpose", [x], perm=[0, 2, 3, 1])[0], "grid"
        return _partition(w, index, node, x), "groups"
    form = w.token_form[node.inputs[0]]
    if kind == "to_map":
        if form == "grid":
            return w.op(node, "Transpose", [x], perm=[0, 3, 1, 2])[0], None
        return _departition(w, index, node, x), None
    if kind == "layer_norm":
        c = node.shape.c
        inputs = [x, w.weight([c])] + ([w.weight([c])] if info["affine"] else [])
        return w.op(node, "LayerNormalization", inputs, axis=-1)[0], form
    if kind == "linear":
        y = w.op(node, "MatMul", [x, w.weight([info["in_channels"], node.shape.c])])[0]
        if info["bias"]:
            y = w.op(node, "Add", [w.weight([node.shape.c]), y])[0]
        return w.act(node, y, info["act"]), form
    if kind == "gelu":
        return w.gelu(node, x, info["approximate"]), form
    if kind == "add":
        return w.act(node, w.op(node, "Add", ins)[0], info["act"]), form
    if kind in ("dropout", "identity"):
        return w.op(node, kind.capitalize(), [x])[0], form
    if kind == "patch_merging":
        return _merge(w, node, x), form
    if kind == "attention":
        if node.role == "proj":
            return w.attention_out[index], form
        if node.role == "qkv":
            scores = w.graph.nodes[index + 1]
            writer = _swin_attention if form == "grid" else _maxvit_attention
            w.attention_out[index + 4] = writer(w, index, node, scores, x)
        return x, form
    raise ValueError(f"no ONNX form for kind {kind} on windowed tokens")


def _slice(w, node, x, start, end, axis, step=1, suffix=""):
    inputs = [x, w.const([start]), w.const([end]), w.const([axis])] + \
        ([w.const([step])] if step != 1 else [])
    return w.op(node, "Slice", inputs, suffix=suffix)[0]


def _roll(w, node, x, axis, size, amount):
    """torch.roll(x, -amount, axis) as the exporter writes it: two Slices and a Concat."""
    head = _slice(w, node, x, amount, size, axis, suffix="_roll")
    tail = _slice(w, node, x, 0, amount, axis, suffix="_roll")
    return w.op(node, "Concat", [head, tail], axis=axis, suffix="_roll")[0]


def _relative_bias(w, node, window, heads):
    """The relative position bias [1, H, M^2, M^2]: the table gathered by the index buffer."""
    n = window * window
    table = w.weight([(2 * window - 1) ** 2, heads])
    index = w.weight([n * n], TensorProto.INT64)
    bias = w.op(node, "Gather", [table, index], axis=0, suffix="_bias")[0]
    bias = w.op(node, "Reshape", [bias, w.const([n, n, heads])], suffix="_bias")[0]
    bias = w.op(node, "Transpose", [bias], perm=[2, 0, 1], suffix="_bias")[0]
    return w.op(node, "Unsqueeze", [bias, w.const([0])], suffix="_bias")[0]


def _project(w, node, x, d_in, d_out, bias):
    y = w.op(node, "MatMul", [x, w.weight([d_in, d_out])])[0]
    return w.op(node, "Add", [w.weight([d_out]), y])[0] if bias else y


def _swin_attention(w, index, node, scores, x):
    """torchvision's shifted_window_attention on the grid ``x`` [1, H, W, D]."""
    c, h, wd = w.graph.nodes[node.inputs[0]].shape
    heads, window = node.info["heads"], math.isqrt(scores.info["keys"])
    d, n = c // heads, window * window
    ph, pw = -(-h // window) * window, -(-wd // window) * window
    windows = (ph // window) * (pw // window)
    y = w.op(node, "Pad", [x, w.const([0, 0, 0, 0, 0, ph - h, pw - wd, 0])], mode="constant")[0]
    # torchvision shifts by half a window, not along a side the window covers
    shift = window // 2 if scores.info["shifted"] else 0
    shifts = [shift if window < ph else 0, shift if window < pw else 0]
    for axis, size, amount in ((1, ph, shifts[0]), (2, pw, shifts[1])):
        if amount:
            y = _roll(w, node, y, axis, size, amount)
    y = w.op(node, "Reshape", [y, w.const([1, ph // window, window, pw // window, window, c])])[0]
    y = w.op(node, "Transpose", [y], perm=[0, 1, 3, 2, 4, 5])[0]
    y = w.op(node, "Reshape", [y, w.const([windows, n, c])])[0]
    y = _project(w, node, y, c, 3 * c, node.info["bias"])
    y = w.op(node, "Reshape", [y, w.const([windows, n, 3, heads, d])])[0]
    y = w.op(node, "Transpose", [y], perm=[2, 0, 3, 1, 4])[0]
    q, k, v = (w.op(node, "Gather", [y, w.scalar(i)], axis=0)[0] for i in range(3))
    q = w.op(node, "Mul", [q, w.scalar(d ** -0.5, TensorProto.FLOAT)])[0]
    k = w.op(node, "Transpose", [k], perm=[0, 1, 3, 2])[0]
    a = w.op(node, "MatMul", [q, k])[0]
    a = w.op(node, "Add", [a, _relative_bias(w, node, window, heads)])[0]
    if any(shifts):  # the mask, built from constants: -100 across region borders
        a = w.op(node, "Reshape", [a, w.const([1, windows, heads, n, n])], suffix="_mask")[0]
        mask = w.op(node, "ConstantOfShape", [w.const([1, windows, 1, n, n])])[0]
        a = w.op(node, "Add", [a, mask], suffix="_mask")[0]
        a = w.op(node, "Reshape", [a, w.const([windows, heads, n, n])], suffix="_mask")[0]
    a = w.op(node, "Softmax", [a], axis=-1)[0]
    y = w.op(node, "MatMul", [a, v])[0]
    y = w.op(node, "Transpose", [y], perm=[0, 2, 1, 3])[0]
    y = w.op(node, "Reshape", [y, w.const([windows, n, c])])[0]
    y = _project(w, node, y, c, c, w.graph.nodes[index + 4].info["bias"])
    y = w.op(node, "Reshape", [y, w.const([1, ph // window, pw // window, window, window, c])])[0]
    y = w.op(node, "Transpose", [y], perm=[0, 1, 3, 2, 4, 5])[0]
    y = w.op(node, "Reshape", [y, w.const([1, ph, pw, c])])[0]
    for axis, size, amount in ((1, ph, shifts[0]), (2, pw, shifts[1])):
        if amount:  # rolled back by +shift
            y = _roll(w, node, y, axis, size, size - amount)
    y = _slice(w, node, y, 0, h, 1, suffix="_crop")
    return _slice(w, node, y, 0, wd, 2, suffix="_crop")


def _maxvit_attention(w, index, node, scores, x):
    """torchvision's RelativePositionalMultiHeadAttention on groups ``x`` [1, G, M^2, D]."""
    c = node.info["in_channels"]
    heads, n = node.info["heads"], scores.info["keys"]
    d, groups = c // heads, node.info["rows"] // n
    qkv = _project(w, node, x, c, 3 * c, node.info["bias"])
    parts = []
    for i in range(3):
        y = _slice(w, node, qkv, i * c, (i + 1) * c, -1)
        y = w.op(node, "Reshape", [y, w.const([1, groups, n, heads, d])])[0]
        parts.append(w.op(node, "Transpose", [y], perm=[0, 1, 3, 2, 4])[0])
    q, k, v = parts
    k = w.op(node, "Mul", [k, w.scalar(d ** -0.5, TensorProto.FLOAT)])[0]
    a = w.op(node, "Einsum", [q, k], equation="B G H I D, B G H J D -> B G H I J")[0]
    a = w.op(node, "Add", [a, _relative_bias(w, node, math.isqrt(n), heads)])[0]
    a = w.op(node, "Softmax", [a], axis=-1)[0]
    y = w.op(node, "Einsum", [a, v], equation="B G H I J, B G H J D -> B G H I D")[0]
    y = w.op(node, "Transpose", [y], perm=[0, 1, 3, 2, 4])[0]
    y = w.op(node, "Reshape", [y, w.const([1, groups, n, c])])[0]
    return _project(w, node, y, c, c, w.graph.nodes[index + 4].info["bias"])


def _window(w, index, step):
    """The window side of the attention nearest ``index`` (after it: step 1; before: -1)."""
    nodes = w.graph.nodes
    while 0 <= index < len(nodes):
        if nodes[index].kind == "attention" and nodes[index].role == "scores":
            return math.isqrt(nodes[index].info["keys"])
        index += step
    raise ValueError("no window attention around a partition")


def _partition(w, index, node, x):
    """MaxViT's window partition (P x P windows) or grid partition (a P x P grid of tokens
    H / P apart, then the two token axes swapped), from a map [1, C, H, W]."""
    c, h, wd = node.info["input"]
    p = _window(w, index, 1)
    grid = "grid" in node.name
    split = [1, c, p, h // p, p, wd // p] if grid else [1, c, h // p, p, wd // p, p]
    y = w.op(node, "Reshape", [x, w.const(split)])[0]
    y = w.op(node, "Transpose", [y], perm=[0, 2, 4, 3, 5, 1])[0]
    groups = (h // p) * (wd // p)
    if not grid:
        return w.op(node, "Reshape", [y, w.const([1, groups, p * p, c])], suffix="_1")[0]
    y = w.op(node, "Reshape", [y, w.const([1, p * p, groups, c])], suffix="_1")[0]
    return w.op(node, "Transpose", [y], perm=[0, 2, 1, 3], suffix="_swap")[0]


def _departition(w, index, node, x):
    """The partition undone: groups of tokens back to the map [1, C, H, W]."""
    c, h, wd = node.shape
    p = _window(w, index, -1)
    if "grid" in node.name:
        x = w.op(node, "Transpose", [x], perm=[0, 2, 1, 3], suffix="_swap")[0]
        split = [1, p, p, h // p, wd // p, c]
    else:
        split = [1, h // p, wd // p, p, p, c]
    y = w.op(node, "Reshape", [x, w.const(split)])[0]
    y = w.op(node, "Transpose", [y], perm=[0, 5, 1, 3, 2, 4])[0]
    return w.op(node, "Reshape", [y, w.const([1, c, h, wd])], suffix="_1")[0]


def _merge(w, node, x):
    """PatchMerging's pad and 2 x 2 neighbours: x[..., i::2, j::2, :] concatenated."""
    c, h, wd = w.graph.nodes[node.inputs[0]].shape
    y = w.op(node, "Pad", [x, w.const([0, 0, 0, 0, 0, h % 2, wd % 2, 0])], mode="constant")[0]
    ph, pw = h + h % 2, wd + wd % 2
    rows = [_slice(w, node, y, i, ph, 1, 2) for i in (0, 1)]
    parts = [_slice(w, node, rows[i], j, pw, 2, 2) for j in (0, 1) for i in (0, 1)]
    return w.op(node, "Concat", parts, axis=-1)[0]
