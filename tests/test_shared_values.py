"""Identical per-node values are held once: which are shared, and that sharing changes no count."""
from __future__ import annotations

from fractions import Fraction

import pytest

from costcalc.costing import conventions
from costcalc.costing.analyze import analyze
from costcalc.costing.report import Report
from costcalc.graph.registry import Shape, Tokens
from costcalc.graph.shared import Shared
from costcalc.spec.document import parse


class Loud(int):
    """An int that must never be compared (as a traced int records each comparison)."""

    def __eq__(self, other):
        raise AssertionError("compared")

    __hash__ = int.__hash__


@pytest.mark.parametrize("first,second,shared", [
    ({"macs": 10, "params": 2}, {"macs": 10, "params": 2}, True),
    ({"act": "relu", "bias": None}, {"act": "relu", "bias": None}, True),
    ({"input": Shape(8, 4, 4), "k": 3}, {"input": Shape(8, 4, 4), "k": 3}, True),
    ({}, {}, True),
    ({"macs": 10}, {"macs": 11}, False),
    ({"macs": 10, "params": 2}, {"params": 2, "macs": 10}, False),  # key order is kept
    ({"bias": True}, {"bias": 1}, False),  # equal and hashed alike, rendered differently
    ({"x": 0.0}, {"x": 0.0}, False),  # floats are not shared (-0.0 == 0.0)
    ({"x": Fraction(1, 2)}, {"x": Fraction(1, 2)}, False),
    ({"x": Loud(3)}, {"x": Loud(3)}, False),  # never compared
    ({"x": [1, 2]}, {"x": [1, 2]}, False),  # not hashable
    ({"input": Shape(8, Loud(4), 4)}, {"input": Shape(8, Loud(4), 4)}, False),
    ({"input": Shape(8, 4, 4)}, {"input": Tokens(8, 4, 4)}, False),
    ({"input": Tokens(8, 4, 4)}, {"input": Tokens(8, 4, 4)}, False),  # only map shapes
    ({"a": Shape(1, 2, 3), "b": Shape(1, 2, Loud(3))},
     {"a": Shape(1, 2, 3), "b": Shape(1, 2, Loud(3))}, False),
])
def test_equal_mappings_of_plain_values_are_one_object(first, second, shared):
    pool = Shared()
    assert pool.mapping(first) is first
    assert (pool.mapping(second) is first) is shared


@pytest.mark.parametrize("first,second,shared", [
    (Shape(8, 4, 4), Shape(8, 4, 4), True),
    (Shape(8, 4, 4), Shape(8, 4, 5), False),
    (Shape(8, 4, 4), Tokens(8, 4, 4), False),
    (Shape(8, Loud(4), 4), Shape(8, Loud(4), 4), False),
    (Shape(8, Fraction(4), 4), Shape(8, Fraction(4), 4), False),
])
def test_equal_shapes_of_ints_are_one_object(first, second, shared):
    pool = Shared()
    assert pool.shape(first) is first
    assert (pool.shape(second) is first) is shared


@pytest.mark.parametrize("first,second,kept,shared", [
    ({"macs": 10, "params": 0}, {"macs": 10, "params": 0}, {"macs": 10}, True),
    ({"macs": 0}, {"macs": 0}, {}, True),
    ({"macs": 10, "params": 2}, {"params": 2, "macs": 10}, {"macs": 10, "params": 2}, False),
    ({"macs": 10}, {"macs": 12}, {"macs": 10}, False),
    ({"macs": True}, {"macs": True}, None, False),  # ints only
    ({"macs": Fraction(1, 2)}, {"macs": Fraction(1, 2)}, None, False),
    ({"macs": Loud(0)}, {"macs": Loud(0)}, None, False),  # never compared, never tested
])
def test_counts_lose_their_zeros_once_for_equal_counts(first, second, kept, shared):
    pool = Shared()
    made = pool.nonzero(first)
    assert made == kept and (made is None or list(made) == list(kept))
    assert (made is not None and pool.nonzero(second) is made) is shared


STACK = """\
name: stack
input: [3, 32, 32]
blocks:
  basic:
    parameters: {out: null, stride: 1}
    layers:
      - kind: residual
        stride: stride
        act: relu
        body:
          - {kind: conv, out: out, kernel: 3, stride: stride, bn: true, act: relu}
          - {kind: conv, out: out, kernel: 3, bn: true}
layers:
  - {name: stem, kind: conv, out: 8, kernel: 3, bn: true, act: relu}
  - {kind: basic, out: 8}
  - {kind: basic, out: 8}
  - {kind: basic, out: 8}
  - {kind: basic, out: 16, stride: 2}
  - {kind: basic, out: 16}
  - {kind: basic, out: 16}
"""


def test_a_repeated_block_holds_one_copy_of_each_distinct_value():
    spec = parse(STACK, "stack.yaml")
    graph = spec.build(spec.resolve({}))
    for field in ("counts", "info", "shape"):
        values = [getattr(node, field) for node in graph.nodes]
        distinct = {repr(v) for v in values}
        assert len({id(v) for v in values}) == len(distinct) < len(values), field


SHARING = """\
name: sharing
input: [3, 16, 16]
blocks:
  head:
    layers:
      - {name: conv, kind: conv, out: 4, kernel: 3, bias: true, act: relu}
layers:
  - {name: p0, kind: conv, out: 8, kernel: 1}
  - {name: h0, kind: head, from: p0}
  - {name: h1, kind: head, from: p0, shares: h0}
  - {name: h2, kind: head, from: p0}
outputs: [h0, h1, h2]
"""


def test_shared_weights_mark_only_the_layer_that_shares():
    # h0, h1 and h2 are identical layers (one info mapping); only h1 reads h0's weights
    spec = parse(SHARING, "sharing.yaml")
    nodes = {n.name: n for n in spec.build(spec.resolve({})).nodes}
    assert nodes["h1.conv"].info["shares"] == "h0"
    assert "shares" not in nodes["h0.conv"].info and "shares" not in nodes["h2.conv"].info
    assert nodes["h0.conv"].counts == nodes["h2.conv"].counts != nodes["h1.conv"].counts


@pytest.mark.parametrize("model", ["mobilenet_v2", "mobilenet_v3_small", "resnet50",
                                   "efficientnet_b0", "swin_t",
                                   "fasterrcnn_mobilenet_v3_large_320_fpn"])
@pytest.mark.parametrize("convention", ["paper", "fvcore", "torchvision"])
def test_sharing_changes_no_count(monkeypatch, model, convention):
    shared = analyze(model, convention)
    monkeypatch.setattr(Shared, "nonzero", lambda self, counts: None)
    monkeypatch.setattr(Shared, "mapping", lambda self, values: values)
    monkeypatch.setattr(Shared, "shape", lambda self, shape: shape)
    alone = analyze(model, convention)
    assert alone.to_dict() == shared.to_dict()
    assert [(n.counts, n.info, n.shape) for n in alone.graph.nodes] == \
        [(n.counts, n.info, n.shape) for n in shared.graph.nodes]
    assert Report.from_graph(alone.graph, {}, conventions.get(convention)).total == \
        Report.from_graph(shared.graph, {}, conventions.get(convention)).total
