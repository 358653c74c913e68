"""Subgraphs of primitive ONNX ops that exporters write for one layer, found before the walk.

Below opset 17 torch writes ``nn.LayerNorm`` as ReduceMean, Sub, Pow 2, ReduceMean, Add eps,
Sqrt, Div (then Mul by the weight, Add the bias), and below opset 20 ``nn.GELU("tanh")`` as
x * 0.5 * (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3))) in Mul, Add and Tanh ops. Each match is one
layer row: the walk emits it at the first of its nodes (every node of a match reads only the
match's input, its own nodes and constants, so that node comes after the input) and skips the
rest. A subgraph whose inner values are read elsewhere is not a match: its ops stay rows (or
errors) of their own, never a silent zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

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
    def __init__(self, graph, value: Callable[[str], Any], attrs: Callable, params: set[str]):
        self.value, self.attrs, self.params = value, attrs, params
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

    def axes(self, node) -> list | None:
        axes = self.attrs(node).get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.value(node.input[1])
        return [int(a) for a in axes] if axes is not None else None


def find(graph, value, attrs, params: set[str]) -> dict[int, Match]:
    """Each match keyed by the id of its first node in the graph's order."""
    g = _Graph(graph, value, attrs, params)
    matches: dict[int, Match] = {}
    for node in graph.node:
        found = _gelu_tanh(g, node) if node.op_type == "Tanh" else \
            _layer_norm(g, node) if node.op_type == "Sqrt" else None
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
    if mean is None or mean.input[0] != x or divide is None or \
            list(divide.input) != [centred.output[0], sqrt.output[0]] or \
            {id(n) for n in g.readers.get(centred.output[0], [])} != {id(power), id(divide)} or \
            axes is None or len(axes) != 1 or g.axes(mean) != axes:
        return None
    nodes = [mean, centred, power, variance, eps, sqrt, divide]
    out, affine = divide.output[0], False
    weight = g.only_reader(out, "Mul")
    bias = g.only_reader(weight.output[0], "Add") if weight is not None else None
    if bias is not None and g.other(weight, out) in g.params and \
            g.other(bias, weight.output[0]) in g.params:
        nodes += [weight, bias]
        out, affine = bias.output[0], True
    return Match("layer_norm", x, out, nodes, {"affine": affine}, axes)
