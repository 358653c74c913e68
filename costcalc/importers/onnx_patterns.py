"""Subgraphs of primitive ONNX ops that exporters write for one layer, found before the walk.

Below opset 17 torch writes ``nn.LayerNorm`` as ReduceMean, Sub, Pow 2, ReduceMean, Add eps,
Sqrt, Div (then Mul by the weight, Add the bias), and below opset 20 ``nn.GELU("tanh")`` as
x * 0.5 * (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3))) in Mul, Add and Tanh ops, and
``nn.MultiheadAttention`` as projections, views, two MatMuls and a Softmax. Each match is one
layer (one row, or the attention kind's five): the walk emits it at the first of its nodes
(every node of a match reads only the match's input, its own nodes and constants, so that node
comes after the input) and skips the rest. A subgraph whose inner values are read elsewhere is not a match: its ops stay rows (or
errors) of their own, never a silent zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from costcalc.importers.onnx_calls import SHAPE_READERS

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
KAPPA = 0.044715


@dataclass
class Match:
    """One layer written as several ops: ``kind`` with ``fields``, from ``x`` to ``out``."""

    kind: str
    x: str
    out: str
    nodes: list = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    axes: list | None = None  # the normalised axes (layer_norm)


class _Graph:
    def __init__(self, graph, value: Callable[[str], Any], attrs: Callable, params: set[str],
                 dims: dict, consts: dict):
        self.value, self.attrs, self.params = value, attrs, params
        # weights' dims: initializers, else inferred (a weight transposed by the exporter)
        self.dims = dims
        self.consts = {**{n: dims[n] for n in params if n in dims}, **consts}
        # activations: computed from the graph's inputs, not through Shape (shape arithmetic)
        initializers = {t.name for t in graph.initializer}
        self.live = {i.name for i in graph.input if i.name not in initializers}
        for node in graph.node:
            if node.op_type not in SHAPE_READERS and any(n in self.live for n in node.input):
                self.live.update(node.output)
        self.producer = {out: node for node in graph.node for out in node.output}
        self.readers: dict[str, list] = {}
        for node in graph.node:
            for name in dict.fromkeys(node.input):
                self.readers.setdefault(name, []).append(node)
        for out in graph.output:
            self.readers.setdefault(out.name, []).append(None)
        self.order = {id(node): index for index, node in enumerate(graph.node)}

    def made(self, name: str, op: str):
        """The node of type ``op`` producing ``name``, read by nothing else, or None."""
        node = self.producer.get(name)
        if node is None or node.op_type != op or len(self.readers.get(name, [])) != 1:
            return None
        return node

    def only_reader(self, name: str, op: str):
        readers = self.readers.get(name, [])
        if len(readers) != 1 or readers[0] is None or readers[0].op_type != op:
            return None
        return readers[0]

    def constant(self, name: str, wanted: float) -> bool:
        """A one-value constant equal to ``wanted`` to float32 rounding: a pattern's marker."""
        value = self.value(name)
        return value is not None and len(value) == 1 and \
            math.isclose(value[0], wanted, rel_tol=1e-6)

    def other(self, node, name: str) -> str | None:
        """The other input of a two-input ``node`` one of whose inputs is ``name``."""
        inputs = list(node.input)
        if len(inputs) != 2 or name not in inputs:
            return None
        return inputs[1] if inputs[0] == name else inputs[0]

    def times_constant(self, node, wanted: float) -> str | None:
        """For Mul(c, y) or Mul(y, c) with c == ``wanted``: y."""
        if node is None or len(node.input) != 2:
            return None
        for a, b in (node.input, node.input[::-1]):
            if self.constant(a, wanted):
                return b
        return None

    def live_inputs(self, node) -> list[str]:
        return [n for n in node.input if n in self.live]

    def axes(self, node) -> list | None:
        axes = self.attrs(node).get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.value(node.input[1])
        return [int(a) for a in axes] if axes is not None else None


def find(graph, value, attrs, params: set[str], dims: dict, consts: dict) -> dict[int, Match]:
    """Each match keyed by the id of its first node in the graph's order."""
    g = _Graph(graph, value, attrs, params, dims, consts)
    matches: dict[int, Match] = {}
    for node in graph.node:
        found = _gelu_tanh(g, node) if node.op_type == "Tanh" else \
            _layer_norm(g, node) if node.op_type == "Sqrt" else \
            _group_norm(g, node) if node.op_type == "InstanceNormalization" else \
            _attention(g, node) if node.op_type == "Softmax" else None
        if found is not None:
            first = min(found.nodes, key=lambda n: g.order[id(n)])
            matches[id(first)] = found
    return matches


def _gelu_tanh(g: _Graph, tanh) -> Match | None:
    """0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3))), torch's export of GELU('tanh')."""
    inner = g.made(tanh.input[0], "Mul")
    s_name = g.times_constant(inner, SQRT_2_OVER_PI)
    total = g.made(s_name, "Add") if s_name else None
    if total is None:
        return None
    for x, k_name in (total.input, total.input[::-1]):
        scaled = g.made(k_name, "Mul")
        cube_name = g.times_constant(scaled, KAPPA)
        cube = _cube(g, cube_name, x) if cube_name else None
        if cube is not None:
            break
    else:
        return None
    one = g.only_reader(tanh.output[0], "Add")
    if one is None or not g.constant(g.other(one, tanh.output[0]) or "", 1.0):
        return None
    product = g.only_reader(one.output[0], "Mul")
    if product is None:
        return None
    nodes = [*cube, scaled, total, inner, tanh, one, product]
    factor = g.other(product, one.output[0])
    if factor == x:  # x (1 + t), then times 0.5
        half = g.only_reader(product.output[0], "Mul")
        if half is None or g.times_constant(half, 0.5) != product.output[0]:
            return None
        nodes.append(half)
        out = half.output[0]
    else:  # (0.5 x) (1 + t)
        half = g.made(factor or "", "Mul")
        if half is None or g.times_constant(half, 0.5) != x:
            return None
        nodes.append(half)
        out = product.output[0]
    return Match("gelu", x, out, nodes, {"approximate": "tanh"})


def _cube(g: _Graph, name: str, x: str) -> list | None:
    """The nodes computing x^3 as Pow(x, 3) or x * (x * x), or None."""
    power = g.made(name, "Pow")
    if power is not None:
        return [power] if power.input[0] == x and g.constant(power.input[1], 3.0) else None
    outer = g.made(name, "Mul")
    square_name = g.other(outer, x) if outer is not None else None
    square = g.made(square_name, "Mul") if square_name else None
    if square is not None and list(square.input) == [x, x]:
        return [square, outer]
    return None


def _layer_norm(g: _Graph, sqrt) -> Match | None:
    """(x - mean(x)) / Sqrt(mean((x - mean(x))^2) + eps) over one axis, times a weight and plus
    a bias when both follow: LayerNorm as torch writes it below opset 17."""
    eps = g.made(sqrt.input[0], "Add")
    if eps is None:
        return None
    for v_name, c_name in (eps.input, eps.input[::-1]):
        c = g.value(c_name)
        variance = g.made(v_name, "ReduceMean")
        if variance is not None and c is not None and len(c) == 1 and 0 <= c[0] < 1:
            break
    else:
        return None
    power = g.made(variance.input[0], "Pow")
    if power is None or not g.constant(power.input[1], 2.0):
        return None
    centred = g.producer.get(power.input[0])
    if centred is None or centred.op_type != "Sub":
        return None
    x, m_name = centred.input
    mean = g.made(m_name, "ReduceMean")
    divide = g.only_reader(sqrt.output[0], "Div")
    axes = g.axes(variance)
    dims = g.dims.get(x) or [0]
    # over C, H and W of a map together: nn.LayerNorm([C, H, W]) below opset 17
    whole = axes is not None and len(dims) == 4 and sorted(a % 4 for a in axes) == [1, 2, 3]
    if mean is None or mean.input[0] != x or divide is None or \
            list(divide.input) != [centred.output[0], sqrt.output[0]] or \
            {id(n) for n in g.readers.get(centred.output[0], [])} != {id(power), id(divide)} or \
            not axes or g.axes(mean) != axes or \
            not all(-len(dims) <= a < len(dims) and isinstance(dims[a], int) for a in axes):
        return None
    nodes = [mean, centred, power, variance, eps, sqrt, divide]
    out, fields = divide.output[0], {"affine": False}
    size = math.prod(dims[a] for a in axes)  # (the walk refuses axes it has no kind for)
    weight = g.only_reader(out, "Mul")
    if weight is not None and _learned_vector(g, g.other(weight, out), size):
        # times a learned weight (nn.LayerNorm), then plus a learned bias unless bias=False
        nodes.append(weight)
        out, fields = weight.output[0], {"affine": True, "bias": False}
        bias = g.only_reader(out, "Add")
        if bias is not None and _learned_vector(g, g.other(bias, out), size):
            nodes.append(bias)
            out, fields = bias.output[0], {"affine": True}
    if whole:
        fields["over"] = "all"
    return Match("layer_norm", x, out, nodes, fields, axes)


def _learned_vector(g: _Graph, name: str | None, size) -> bool:
    """Whether ``name`` is a learned tensor of ``size`` values (one per normalised channel)."""
    return name in g.params and math.prod(g.consts.get(name, [0])) == size


def _group_norm(g: _Graph, norm) -> Match | None:
    """Reshape [1, C, H, W] -> [1, G, C H W / G], InstanceNormalization with constant scale and
    bias, Reshape back, then times and plus a per-channel tensor: nn.GroupNorm(G, C) as torch
    writes it at every opset (learned weight and bias, or constant ones and zeros without
    affine). GroupNorm(1, C) normalises over C, H and W together."""
    split = g.made(norm.input[0], "Reshape")
    back = g.only_reader(norm.output[0], "Reshape")
    if split is None or back is None or any(n in g.params for n in norm.input[1:]):
        return None
    x = split.input[0]
    dims, grouped = g.dims.get(x, []), g.dims.get(norm.input[0], [])
    if len(dims) != 4 or len(grouped) != 3 or g.dims.get(back.output[0]) != dims or \
            not all(isinstance(d, int) and d > 0 for d in dims + grouped) or \
            dims[1] % grouped[1] or grouped[2] * grouped[1] != math.prod(dims[1:]):
        return None
    nodes, out, affine = [split, norm, back], back.output[0], False
    scale = g.only_reader(out, "Mul")
    shift = g.only_reader(scale.output[0], "Add") if scale is not None else None
    operands = [g.other(scale, out), g.other(shift, scale.output[0])] if shift else []
    per_channel = [d for d in (g.consts.get(n) or g.dims.get(n) for n in operands)
                   if d is not None and [v for v in d if v != 1] in ([dims[1]], [])
                   and len(d) in (3, 4) and d[-2:] == [1, 1]]
    learned = [n in g.params for n in operands]
    if len(per_channel) == 2 and len(set(learned)) == 1:
        nodes += [scale, shift]
        out, affine = shift.output[0], learned[0]
    return Match("group_norm", x, out, nodes, {"groups": grouped[1], "affine": affine})


# Ops an attention's exporter puts between its matmuls and projections that only move, pick or
# rename values (torch's multi_head_attention_forward: the packed Q, K, V split by Reshape,
# Transpose, Squeeze and Gather; the heads' [H, N, d] reshapes; the sequence-first transposes).
PASSIVE = frozenset(("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Gather", "Slice", "Split",
                     "Identity", "Dropout", "Flatten", "Cast"))


def _attention(g: _Graph, softmax) -> Match | None:
    """Softmax(Q K^T) V with Q, K and V projected from one token tensor x (one packed or three
    projections) and the heads' output projected back to x's shape, with nothing in between but
    views, constant scalings and bias adds: one multi-head ``attention`` (torch's
    nn.MultiheadAttention and scaled_dot_product_attention as exported below opset 23)."""
    region: list = [softmax]
    scores = g.producer.get(softmax.input[0])
    while scores is not None and scores.op_type in ("Mul", "Div", "Add") and \
            len(g.live_inputs(scores)) == 1:
        region.append(scores)  # scaling or an additive mask
        scores = g.producer.get(g.live_inputs(scores)[0])
    context = g.only_reader(softmax.output[0], "MatMul")
    if scores is None or scores.op_type != "MatMul" or len(g.live_inputs(scores)) != 2 or \
            context is None or context.input[0] != softmax.output[0] or \
            len(g.live_inputs(context)) != 2:
        return None
    region += [scores, context]
    heads = g.dims.get(scores.output[0], [])
    if len(heads) < 2 or not all(isinstance(d, int) and d > 0 for d in heads):
        return None
    heads = math.prod(heads[:-2])
    projections = qkv_projections(g, scores, context, region)
    if projections is None:
        return None
    ends = {_projection_input(g, p, region) for p in projections}
    if len(ends) != 1 or None in ends:
        return None
    x = ends.pop()
    out, proj = _forward_to_output(g, context.output[0], region, g.dims.get(x))
    if out is None:
        return None
    d = g.dims[x][-1]
    weights = sorted(math.prod(g.consts.get(p.input[1], [0])) for p in projections)
    if weights not in ([3 * d * d], [d * d] * 3) or math.prod(g.consts.get(proj.input[1], [0])) \
            != d * d or d % heads:
        return None
    biased = [p for p in projections if _bias(g, p) is not None]
    if len(biased) not in (0, len(projections)):
        return None
    region_ids = {id(n) for n in region}
    for node in region:
        for name in node.output:
            if name == out:
                continue
            for reader in g.readers.get(name, []):
                if reader is None or (id(reader) not in region_ids and
                                      reader.op_type not in SHAPE_READERS):
                    return None
    return Match("attention", x, out, region, {"heads": heads, "qkv_bias": bool(biased),
                                               "proj_bias": _bias(g, proj) is not None})


def _is_projection(g: _Graph, node) -> bool:
    """MatMul or Gemm of an activation by a 2-d initializer (a linear layer)."""
    return node is not None and node.op_type in ("MatMul", "Gemm") and \
        len(node.input) > 1 and node.input[1] in g.params and \
        len(g.consts.get(node.input[1], [])) == 2 and not g.attrs(node).get("transA", 0)


def _bias(g: _Graph, projection):
    """The projection's bias: Gemm's C, or an Add of an initializer reading only it."""
    if projection.op_type == "Gemm":
        return projection.input[2] if len(projection.input) > 2 and projection.input[2] else None
    add = g.only_reader(projection.output[0], "Add")
    if add is not None and g.other(add, projection.output[0]) in g.params:
        return add
    return None


def qkv_projections(g: _Graph, scores, context, region: list) -> list | None:
    """The distinct projections Q, K and V come from (one when packed), in that order, walking
    back from the scores' two inputs and the context's value input; None when one is not found."""
    projections: list = []
    for start in (scores.input[0], scores.input[1], context.input[1]):
        found = _back_to_projection(g, start, region)
        if found is None:
            return None
        if found not in projections:
            projections.append(found)
    return projections


def _back_to_projection(g: _Graph, name: str, region: list):
    """From one matmul operand back through views, constant scalings and a bias add to the
    projection producing it (added to ``region`` with what lies between), or None."""
    for _ in range(64):
        node = g.producer.get(name)
        if node is None:
            return None
        if _is_projection(g, node):
            if node not in region:
                region.append(node)
            return node
        live = g.live_inputs(node)
        if len(live) != 1 or not (node.op_type in PASSIVE or node.op_type in
                                  ("Mul", "Div", "Add")):
            return None
        if node.op_type == "Add":  # only a bias add right after the projection
            if not _is_projection(g, g.producer.get(live[0])) or \
                    g.other(node, live[0]) not in g.params:
                return None
        if node not in region:
            region.append(node)
        name = live[0]
    return None


def _projection_input(g: _Graph, projection, region: list) -> str | None:
    """The token tensor [1, N, D] a projection reads, back through views (added to ``region``)."""
    name = projection.input[0]
    for _ in range(16):
        dims = g.dims.get(name, [])
        if len(dims) == 3 and dims[0] == 1 and isinstance(dims[-1], int) and \
                dims[-1] == g.consts[projection.input[1]][0 if projection.op_type == "MatMul" or
                                                          not g.attrs(projection).get("transB")
                                                          else 1]:
            return name
        node = g.producer.get(name)
        if node is None or node.op_type not in PASSIVE or len(g.live_inputs(node)) != 1:
            return None
        if node not in region:
            region.append(node)
        name = g.live_inputs(node)[0]
    return None


def _forward_to_output(g: _Graph, name: str, region: list, dims) -> tuple:
    """From the context matmul forward through views to the output projection (and its bias
    add), then through views to a tensor of the input's dims: (that name, the projection)."""
    proj = None
    for _ in range(32):
        if proj is not None and g.dims.get(name) == dims:
            return name, proj
        readers = g.readers.get(name, [])
        if len(readers) != 1 or readers[0] is None:
            return None, None
        node = readers[0]
        if proj is None and _is_projection(g, node) and node.input[0] == name:
            proj = node
            region.append(node)
            bias = _bias(g, node)
            name = node.output[0]
            if bias is not None and not isinstance(bias, str):
                region.append(bias)
                name = bias.output[0]
            continue
        if node.op_type not in PASSIVE or g.live_inputs(node) != [name]:
            return None, None
        region.append(node)
        name = node.output[0]
    return None, None
