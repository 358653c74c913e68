"""Entries built many times (block bodies, repeats) read each field right in every instance.

The walker finds once per entry what does not change between instances (defaults, choice words,
checked literals) and evaluates expressions per instance in one scope; these cases build the
same entries under different block parameters and repeat indices and check every node, and
check that errors come from the instance and place where the value is wrong.
"""
from __future__ import annotations

import pytest

from costcalc.errors import SpecError
from costcalc.spec.document import parse


def build(text: str, **values):
    spec = parse(text, "t.yaml")
    return spec.build(spec.resolve(values))


BLOCK = """\
input: [8, 32, 32]
blocks:
  unit:
    parameters: {c: null, a: relu, stride: 1, k: 3}
    layers:
      - {kind: conv, out: c, kernel: k, stride: stride, act: a, bn: true}
      - {kind: conv, out: 'c * (i + 1)', kernel: 1, act: relu6}
layers:
"""


@pytest.mark.parametrize("calls, expected", [
    # (out, act, stride, kernel, i) of each call's first conv; the second conv has c * (i + 1)
    # outputs where i is its own repeat index (0: it does not repeat)
    ([("c: 16", 1)], [(16, "relu", 1, 3, 0)]),
    ([("c: 16", 1), ("c: 24, a: \"'relu6'\", stride: 2", 1), ("c: 8, a: \"'hswish'\", k: 5", 1)],
     [(16, "relu", 1, 3, 0), (24, "relu6", 2, 3, 0), (8, "hswish", 1, 5, 0)]),
    # a repeated block instance: the first repeat keeps its stride, the others have 1
    ([("c: 16, stride: 2", 3)], [(16, "relu", 2, 3, 0), (16, "relu", 1, 3, 0), (16, "relu", 1, 3, 0)]),
    ([("c: 4", 2), ("c: 12, a: \"'swish'\", stride: 2", 2)],
     [(4, "relu", 1, 3, 0), (4, "relu", 1, 3, 0), (12, "swish", 2, 3, 0), (12, "swish", 1, 3, 0)]),
])
def test_each_call_of_a_block_reads_its_own_parameters(calls, expected):
    text = BLOCK + "".join(f"  - {{kind: unit, {args}, repeat: {n}}}\n" for args, n in calls)
    graph = build(text)
    firsts = [n for n in graph.nodes if n.name.endswith(".conv0")]
    seconds = [n for n in graph.nodes if n.name.endswith(".conv1")]
    assert len(firsts) == len(seconds) == len(expected)
    side = 32
    for first, second, (out, act, stride, kernel, i) in zip(firsts, seconds, expected):
        side = -(-side // stride)
        assert (first.shape.c, first.info["act"], first.info["stride"], first.info["kernel"]) \
            == (out, act, stride, kernel)
        assert tuple(first.shape) == (out, side, side)
        assert tuple(second.shape) == (out * (i + 1), side, side)
        assert second.info["act"] == "relu6" and second.info["kernel"] == 1


def test_repeat_index_inside_a_repeated_block_is_the_innermost_entrys():
    text = """\
input: [3, 8, 8]
blocks:
  pair:
    layers:
      - {kind: conv, out: '10 + i', kernel: 1}
      - {kind: conv, out: '20 + i', kernel: 1, repeat: 3}
layers:
  - {kind: pair, repeat: 2}
"""
    graph = build(text)
    outs = [(n.name, n.shape.c) for n in graph.nodes]
    # the block's first entry is built once per block instance (its own i is 0); the second
    # repeats: its i counts its own repeats in each instance
    assert [c for _, c in outs] == [10, 20, 21, 22, 10, 20, 21, 22]


def _column(line: str, field: str) -> int:
    """The column of the value of ``field`` (``"out: "``) in ``line``."""
    return line.index(field) + len(field) + 1


BODY = BLOCK.splitlines()[5]  # the first conv of the block, line 6


@pytest.mark.parametrize("call, field, message", [
    # the second call's value is wrong: the error is that call's, at the body's field
    ("c: 0", "out: ", "'out' must be at least 1, got 0"),
    ("c: 2000000000", "out: ", "'out' is 2000000000, more than the limit 1000000000"),
    ("c: 8, k: 0", "kernel: ", "'kernel' must be at least 1, got 0"),
    ("c: 8, a: \"'relu7'\"", "act: ",
     "'act' must be one of none, relu, relu6, hswish, hsigmoid, sigmoid, swish; got 'relu7'"),
    ("c: 8, stride: '1/2'", "stride: ", "'stride' must be a whole number, got 0.5"),
])
def test_a_wrong_value_in_a_later_call_is_reported_at_its_field(call, field, message):
    with pytest.raises(SpecError) as info:
        build(BLOCK + f"  - {{kind: unit, c: 16}}\n  - {{kind: unit, {call}}}\n")
    assert (info.value.line, info.value.column) == (6, _column(BODY, field))
    assert message in info.value.message


@pytest.mark.parametrize("field, message", [
    ("kernel: 0", "'kernel' must be at least 1, got 0"),
    ("bn: 3", "'bn' must be true or false, got 3"),
    ("act: relu7", "'act' must be one of none, relu, relu6, hswish, hsigmoid, sigmoid, swish; "
                   "got 'relu7' (did you mean 'relu'?)"),
    ("padding: sme", "'padding' must be one of same, valid or a number of pixels; got 'sme'"),
    ("groups: 0.5", "'groups' must be a whole number, got 0.5"),
])
def test_a_wrong_literal_in_a_block_body_is_reported_at_the_first_call(field, message):
    body = f"      - {{kind: conv, out: 8, {field}}}"
    text = f"""\
input: [8, 8, 8]
blocks:
  u:
    layers:
{body}
      - {{kind: conv, out: 8}}
layers:
  - {{kind: u, repeat: 3}}
"""
    with pytest.raises(SpecError) as info:
        build(text)
    assert (info.value.line, info.value.column) == (5, _column(body, field.split(" ")[0] + " "))
    assert message in info.value.message


@pytest.mark.parametrize("value, built", [("'true'", True), ("'false'", False), ("true", True),
                                          ("tensor", "tensor")])
def test_a_quoted_boolean_choice_is_the_boolean(value, built):
    text = f"""\
input: [3, 4, 4]
blocks:
  u:
    layers:
      - {{kind: flatten}}
      - {{kind: softmax, functional: {value}}}
layers:
  - {{kind: u, repeat: 2}}
"""
    graph = build(text)
    found = [n.info.get("functional") for n in graph.nodes if n.kind == "softmax"]
    assert found == [built, built]
