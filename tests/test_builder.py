"""The GraphBuilder and node roles: a front end other than YAML builds the same graph, and the
analyses that need block structure (memory splitting, block kinds, experiments) read roles, never
node names."""
from __future__ import annotations

import pytest

import costcalc
from costcalc.costing.report_table import blocks
from costcalc.errors import SpecError
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.core import ROLES
from costcalc.graph.registry import Shape
from costcalc.memory.split import block_peak, find_bottlenecks, recompute_macs
from costcalc.spec.document import parse
from costcalc.spec.models import load

from cli_runner import run

BUILT_IN = """
input: [16, 28, 28]
layers:
  - {name: b, kind: inverted_residual, expand: 6, out: 16}
"""
NO_RESIDUAL = BUILT_IN.replace("out: 16}", "out: 16, residual: false}")

# The same bottleneck written by hand. Names are deliberately not expand/dw/project: only the
# roles say what each layer is.
HAND_WRITTEN = {
    "residual body": """
input: [16, 28, 28]
layers:
  - name: b
    kind: residual
    body:
      - {name: wide, kind: pwconv, out: 96, bn: true, act: relu6, role: expand}
      - {name: spatial, kind: dwconv, bn: true, act: relu6, role: dw}
      - {name: narrow, kind: pwconv, out: 16, bn: true, role: project}
""",
    "user block": """
input: [16, 28, 28]
blocks:
  mine:
    layers:
      - {name: wide, kind: pwconv, out: 96, bn: true, act: relu6, role: expand}
      - {name: spatial, kind: dwconv, bn: true, act: relu6, role: dw}
      - {name: narrow, kind: pwconv, out: 16, bn: true, role: project}
layers:
  - {name: b, kind: mine}
""",
}
SE_BUILT_IN = """
input: [16, 28, 28]
layers:
  - {name: b, kind: bneck, expand: 4, out: 24, se: true, act: hswish}
"""
SE_HAND_WRITTEN = """
input: [16, 28, 28]
blocks:
  mine:
    layers:
      - {name: e, kind: pwconv, out: 64, bn: true, act: hswish, role: expand}
      - {name: d, kind: dwconv, bn: true, act: hswish, role: dw}
      - {name: s, kind: se, act: relu, gate: hsigmoid, role: se}
      - {name: p, kind: pwconv, out: 24, bn: true, role: project}
layers:
  - {name: b, kind: mine}
"""


def build(text: str):
    spec = parse(text, "test.yaml")
    return spec.build(spec.resolve({}))


@pytest.mark.parametrize("case, built_in, add", [("residual body", BUILT_IN, True),
                                                  ("user block", NO_RESIDUAL, False)])
def test_hand_written_bottleneck_splits_like_the_built_in_one(case, built_in, add):
    ours, theirs = build(HAND_WRITTEN[case]), build(built_in)
    (unit,) = find_bottlenecks(ours)
    (reference,) = find_bottlenecks(theirs)
    assert (unit.hidden, unit.absorbed, unit.add is not None) == (96, False, add)
    assert (reference.add is not None) == add
    for groups in (1, 2, 4, 96):
        assert block_peak(ours, unit, groups)[0] == block_peak(theirs, reference, groups)[0]
    assert recompute_macs(ours, unit) == recompute_macs(theirs, reference)


def test_hand_written_bottleneck_with_se_splits_like_the_built_in_one():
    ours, theirs = build(SE_HAND_WRITTEN), build(SE_BUILT_IN)
    (unit,) = find_bottlenecks(ours)
    (reference,) = find_bottlenecks(theirs)
    assert len(unit.se) == 4
    for groups in (1, 2, 64):
        assert block_peak(ours, unit, groups)[0] == block_peak(theirs, reference, groups)[0]
    assert recompute_macs(ours, unit) == recompute_macs(theirs, reference)


def test_names_alone_do_not_make_a_bottleneck():
    text = HAND_WRITTEN["residual body"].replace("wide", "expand").replace("spatial", "dw") \
        .replace("narrow", "project")
    for role in ("expand", "dw", "project"):
        text = text.replace(f", role: {role}}}", "}")
    assert "role" not in text
    assert find_bottlenecks(build(text)) == []


def test_split_command_finds_the_hand_written_block(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(HAND_WRITTEN["user block"])
    result = run("memory", str(path), "--split", "4", "--format", "csv")
    assert result.stdout.splitlines()[1].split(",")[1:5] == ["b", "96", "4", "24"]


@pytest.mark.parametrize("case", sorted(HAND_WRITTEN))
def test_report_names_the_block_kind_from_roles(case):
    (block,) = blocks(costcalc.analyze(parse(HAND_WRITTEN[case], "test.yaml")))
    assert block.kind == "inverted residual"


@pytest.mark.parametrize("value, message", [
    ("bottleneck", "'role' must be one of"),
    ("3", "'role' must be one of"),
])
def test_bad_role_is_a_located_error(value, message):
    text = f"input: [3, 8, 8]\nlayers:\n  - {{kind: conv, out: 8, role: {value}}}\n"
    with pytest.raises(SpecError) as info:
        build(text)
    assert message in str(info.value) and str(info.value).startswith("test.yaml:3:")


def test_builder_api_gives_the_spec_graph():
    """A front end calling the builder directly gets the nodes the YAML walker makes."""
    shape = Shape(16, 28, 28)
    b = GraphBuilder()
    x = b.input(shape)
    with b.block("b", "inverted_residual"):
        y = b.call("pwconv", x, "b.expand", role="expand", out=96, bn=True, act="relu6")
        y = b.call("dwconv", y, "b.dw", role="dw", bn=True, act="relu6")
        y = b.call("pwconv", y, "b.project", role="project", out=16, bn=True)
        b.call("identity", y, "b.tail")
    graph = b.graph("direct", shape)
    spec_graph = build(BUILT_IN)
    for ours, theirs in zip(graph.nodes[:3], spec_graph.nodes[:3]):
        assert (ours.name, ours.kind, ours.shape, ours.counts, ours.scope, ours.role) == \
            (theirs.name, theirs.kind, theirs.shape, theirs.counts, theirs.scope, theirs.role)
    assert graph.nodes[-1].role is None and graph.blocks["b"].kind == "inverted_residual"
    assert len(find_bottlenecks(graph)) == 1


@pytest.mark.parametrize("model", ["v1", "v2", "v3-large", "v3-small", "efficientnet_b0",
                                   "mnasnet1_0", "resnet50", "shufflenet_v2_x1_0"])
def test_every_node_in_a_composite_has_a_known_role(model):
    spec = load(model)
    graph = spec.build(spec.resolve({}))
    composite = {name for name, block in graph.blocks.items()
                 if block.kind in ("inverted_residual", "depthwise_separable", "se")}
    for node in graph.nodes:
        assert node.role is None or node.role in ROLES
        if node.scope in composite:
            assert node.role in ROLES, node.name
        assert node.block == node.name.split(".", 1)[0]  # the report's group: the top-level entry
