"""The kinds of modern networks (norms, GELU, softmax, resampling): shape rule, counts under
every convention, memory behaviour and symbolic form, as tables of cases.

Expected tool figures are measured, not derived: each was read from the tool itself (fvcore
0.1.5, ptflops 0.7.5, thop 0.1.1, torchinfo 1.8.0, torch 2.14.1 FlopCounterMode, calflops 0.3.2,
onnx-tool 1.0.1 on an opset-17 export) running the named PyTorch module once on a 1 x 16 x 8 x 8
input (the wrapped module is in the ``module`` column). Conventions a row leaves out charge 0;
None: the tool gives no figure (calflops raises StopIteration on a module without parameters).
"""
from __future__ import annotations

import pytest
import sympy

from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.registry import KINDS, Shape
from costcalc.memory.liveness import Buffers

SHAPE = Shape(16, 8, 8)

# kind fields, module measured, reported number per convention (the tool's own unit: MACs, or
# FLOPs for flopcounter and calflops-flops), params under every convention.
CASES = [
    ({"kind": "layer_norm"}, "torchvision LayerNorm2d(16)",
     {"fvcore": 5120, "torchinfo": 32, "calflops-flops": 5120, "onnx-tool": 9024}, 32),
    ({"kind": "group_norm", "groups": 4}, "nn.GroupNorm(4, 16)",
     {"fvcore": 5120, "ptflops": 2048, "torchinfo": 32, "calflops-flops": 5120,
      "onnx-tool": 9216}, 32),
    ({"kind": "instance_norm", "affine": True}, "nn.InstanceNorm2d(16, affine=True)",
     {"fvcore": 5120, "ptflops": 2048, "thop": 4096, "torchinfo": 32, "calflops-flops": 5120,
      "onnx-tool": 7168}, 32),
    ({"kind": "instance_norm"}, "nn.InstanceNorm2d(16)",
     {"fvcore": 4096, "ptflops": 1024, "thop": 2048, "onnx-tool": 7168,
      "calflops-flops": None}, 0),
    ({"kind": "gelu"}, "nn.GELU()", {"ptflops": 2048, "onnx-tool": 7168}, 0),
    ({"kind": "gelu", "approximate": "tanh"}, 'nn.GELU("tanh")',
     {"ptflops": 2048, "onnx-tool": 86016}, 0),
    ({"kind": "softmax"}, "nn.Softmax(dim=1); ptflops on dim=-1",
     {"thop": 3008, "ptflops": 1024, "onnx-tool": 36864}, 0),
]
TOOLS = ("fvcore", "ptflops", "ptflops-aten", "thop", "torchinfo", "flopcounter",
         "calflops-flops", "onnx-tool")


def build(fields: dict, shape: Shape = SHAPE, symbolic: bool = False):
    b = GraphBuilder(symbolic=symbolic)
    fields = dict(fields)
    kind = fields.pop("kind")
    y = b.call(kind, b.input(shape), "layer", **fields)
    return b.graph("one", shape), y


def test_cases_cover_every_new_kind():
    new = {"layer_norm", "group_norm", "instance_norm", "gelu", "softmax"}
    assert new <= {fields["kind"] for fields, *_ in CASES} and new <= set(KINDS)


@pytest.mark.parametrize("fields, module, reported, params", CASES,
                         ids=[m for _, m, _, _ in CASES])
@pytest.mark.parametrize("tool", TOOLS)
def test_each_convention_reproduces_the_measured_tool(fields, module, reported, params, tool):
    graph, y = build(fields)
    assert y.shape == SHAPE  # norms and activations keep the shape
    if reported.get(tool, 0) is None:
        pytest.skip(f"{tool} gives no figure for {module}")
    rules = conventions.get(tool)
    assert sum(rules.reported(n.counts) for n in graph.nodes) == reported.get(tool, 0)


@pytest.mark.parametrize("fields, module, reported, params", CASES,
                         ids=[m for _, m, _, _ in CASES])
@pytest.mark.parametrize("convention", conventions.BUILT_IN)
def test_params_and_paper_macs_under_every_convention(fields, module, reported, params,
                                                       convention):
    graph, _ = build(fields)
    report = Report.from_graph(graph, {}, conventions.get(convention))
    assert report.total.params == params
    if convention in ("paper", "torchvision", "keras", "tf-slim"):
        assert report.total.macs == 0


def test_group_norm_groups_must_divide_channels():
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match="must divide channels 16"):
        build({"kind": "group_norm", "groups": 3})


# Memory: norms and GELU write a fresh buffer (PyTorch's modules are not in place).
@pytest.mark.parametrize("fields", [f for f, *_ in CASES], ids=[m for _, m, _, _ in CASES])
def test_new_kinds_write_a_fresh_buffer(fields):
    b = GraphBuilder()
    x = b.call("pwconv", b.input(SHAPE), "pw", out=16)
    fields = dict(fields)
    b.call(fields.pop("kind"), x, "layer", **fields)
    buffers = Buffers(b.graph("two", SHAPE))
    steps = [buffers.step(0), buffers.step(1)]
    assert steps[1].writes != steps[0].writes


C, H, W = sympy.symbols("C H W", positive=True, integer=True)

# Symbolic form under fvcore: the per-element charge times C H W (plus per-row terms elsewhere).
SYMBOLIC = [
    ({"kind": "layer_norm"}, "fvcore", 5 * C * H * W, 2 * C),
    ({"kind": "layer_norm"}, "onnx-tool", 7 * C * H * W + 29 * H * W, 2 * C),
    ({"kind": "group_norm", "groups": 1}, "fvcore", 5 * C * H * W, 2 * C),
    ({"kind": "instance_norm"}, "thop", 2 * C * H * W, 0),
    ({"kind": "gelu"}, "ptflops", 2 * C * H * W, 0),
    ({"kind": "softmax"}, "thop", 3 * C * H * W - H * W, 0),
]


@pytest.mark.parametrize("fields, convention, macs, params", SYMBOLIC)
def test_symbolic_form(fields, convention, macs, params):
    graph, _ = build(fields, Shape(C, H, W), symbolic=True)
    report = Report.from_graph(graph, {}, conventions.get(convention))
    assert sympy.expand(report.total.macs - macs) == 0
    assert sympy.expand(report.total.params - params) == 0
