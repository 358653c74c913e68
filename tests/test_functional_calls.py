"""Activations and pools called as functions or tensor methods instead of modules: what each
counting tool charges for each call, its memory, its spec text and the zoo's calls.

Expected figures are measured, not derived: each tool (fvcore 0.1.5, ptflops 0.7.5 with both
backends, thop 0.1.1, torchinfo 1.8.0, torch 2.14.1 FlopCounterMode, calflops 0.3.2, onnx-tool
1.0.1 on an opset-17 export) ran ``conv(x)`` then the named call, with ``x`` 1 x 3 x 16 x 16 and
``conv`` an ``nn.Conv2d(3, 8, 3, padding=1)``, so the call sees 8 x 16 x 16 (2,048 elements,
256 softmax rows); the table holds the total minus the total of the conv alone. A call that is
not a module ran inside a parameter-free ``nn.Module`` wrapper (calflops raises on a model
without a container). Conventions a row leaves out charge 0 for it.
"""
from __future__ import annotations

import pytest

import costcalc
from costcalc import zoo
from costcalc.costing import conventions
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.registry import Shape
from costcalc.memory.liveness import node_steps

SHAPE = Shape(8, 16, 16)
TOOLS = ("fvcore", "ptflops-aten", "torchinfo", "flopcounter", "calflops", "calflops-flops",
         "thop", "ptflops", "onnx-tool")

# (kind fields, PyTorch call measured, each tool's figure in its own unit)
CASES = [
    ({"kind": "activation", "fn": "relu"}, "nn.ReLU()",
     {"calflops-flops": 2048, "ptflops": 4096, "onnx-tool": 2048}),
    ({"kind": "activation", "fn": "relu", "functional": True}, "F.relu(x)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 2048}),
    ({"kind": "activation", "fn": "relu", "functional": "tensor"}, "x.relu(), torch.relu(x)",
     {"onnx-tool": 2048}),
    ({"kind": "activation", "fn": "relu6"}, "nn.ReLU6()", {"ptflops": 2048, "onnx-tool": 4096}),
    ({"kind": "activation", "fn": "relu6", "functional": True}, "F.relu6(x)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 4096}),
    ({"kind": "activation", "fn": "hswish"}, "nn.Hardswish()", {"onnx-tool": 10240}),
    ({"kind": "activation", "fn": "hswish", "functional": True}, "F.hardswish(x)",
     {"onnx-tool": 10240}),
    ({"kind": "activation", "fn": "hsigmoid"}, "nn.Hardsigmoid()", {"onnx-tool": 8192}),
    ({"kind": "activation", "fn": "hsigmoid", "functional": True}, "F.hardsigmoid(x)",
     {"onnx-tool": 8192}),
    ({"kind": "activation", "fn": "sigmoid"}, "nn.Sigmoid()", {"onnx-tool": 65536}),
    ({"kind": "activation", "fn": "sigmoid", "functional": "tensor"}, "torch.sigmoid(x)",
     {"onnx-tool": 65536}),
    ({"kind": "activation", "fn": "swish"}, "nn.SiLU()",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 67584}),
    ({"kind": "activation", "fn": "swish", "functional": True}, "F.silu(x)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 67584}),
    ({"kind": "gelu"}, "nn.GELU()", {"calflops-flops": 2048, "ptflops": 4096, "onnx-tool": 14336}),
    ({"kind": "gelu", "functional": True}, "F.gelu(x)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 14336}),
    ({"kind": "gelu", "approximate": "tanh"}, 'nn.GELU("tanh")',
     {"calflops-flops": 2048, "ptflops": 4096, "onnx-tool": 172032}),
    ({"kind": "gelu", "approximate": "tanh", "functional": True}, 'F.gelu(x, approximate="tanh")',
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 172032}),
    ({"kind": "softmax"}, "nn.Softmax(1)",
     {"calflops-flops": 2048, "thop": 5888, "ptflops": 2048, "onnx-tool": 73728}),
    ({"kind": "softmax", "functional": True}, "F.softmax(x, dim=1)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 73728}),
    ({"kind": "softmax", "functional": "tensor"}, "x.softmax(1)", {"onnx-tool": 73728}),
    ({"kind": "maxpool", "kernel": 2}, "nn.MaxPool2d(2)",
     {"calflops-flops": 2048, "ptflops": 4096, "onnx-tool": 2048}),
    ({"kind": "maxpool", "kernel": 2, "functional": True}, "F.max_pool2d(x, 2)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 2048}),
    ({"kind": "avgpool", "kernel": 2}, "nn.AvgPool2d(2)",
     {"calflops-flops": 2048, "thop": 512, "ptflops": 4096, "onnx-tool": 2048}),
    ({"kind": "avgpool", "kernel": 2, "functional": True}, "F.avg_pool2d(x, 2)",
     {"calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 2048}),
    ({"kind": "adaptive_avg_pool", "size": 4}, "nn.AdaptiveAvgPool2d(4)",
     {"fvcore": 2048, "calflops-flops": 2048, "thop": 2176, "ptflops": 4096, "onnx-tool": 2048}),
    ({"kind": "adaptive_avg_pool", "size": 4, "functional": True}, "F.adaptive_avg_pool2d(x, 4)",
     {"fvcore": 2048, "calflops-flops": 2048, "ptflops": 2048, "onnx-tool": 2048}),
]
IDS = [call for _, call, _ in CASES]


def build(fields: dict):
    b = GraphBuilder()
    fields = dict(fields)
    kind = fields.pop("kind")
    b.call(kind, b.input(SHAPE), "layer", **fields)
    return b.graph("one", SHAPE)


@pytest.mark.parametrize("fields, call, measured", CASES, ids=IDS)
@pytest.mark.parametrize("tool", TOOLS)
def test_each_convention_charges_the_call_as_its_tool(fields, call, measured, tool):
    rules = conventions.get(tool)
    assert sum(rules.reported(n.counts) for n in build(fields).nodes) == measured.get(tool, 0)


@pytest.mark.parametrize("fields, call, measured", CASES, ids=IDS)
@pytest.mark.parametrize("convention", conventions.BUILT_IN)
def test_a_call_changes_no_paper_macs_and_no_params(fields, call, measured, convention):
    totals = costcalc.analyze(_spec(fields), convention).total
    assert (totals.params, costcalc.analyze(_spec(fields)).total.macs) == (0, 0)


def _spec(fields: dict):
    from costcalc.spec.document import parse

    entry = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                      for k, v in fields.items())
    return parse(f"input: [8, 16, 16]\nlayers:\n  - {{{entry}}}\n", "case.yaml")


@pytest.mark.parametrize("fields, call, measured", CASES, ids=IDS)
def test_spec_text_keeps_the_call(fields, call, measured):
    """costcalc import's spec writer writes `functional` back: the counts round-trip."""
    from costcalc.importers.spec_text import spec_text
    from costcalc.spec.document import parse

    graph = build(fields)
    again = costcalc.analyze(parse(spec_text(graph), "written.yaml")).graph
    assert [n.counts for n in again.nodes] == [n.counts for n in graph.nodes]


@pytest.mark.parametrize("functional, fresh", [(False, False), (True, True), ("tensor", True)])
def test_a_module_activation_works_in_place_a_call_writes_a_new_tensor(functional, fresh):
    b = GraphBuilder()
    x = b.call("conv", b.input(SHAPE), "conv", out=8, kernel=1)
    b.call("activation", x, "act", fn="relu", functional=functional)
    steps = node_steps(b.graph("one", SHAPE))
    assert (steps[-1].writes != steps[-2].writes) is fresh


@pytest.mark.parametrize("fn", ["relu6", "hswish", "hsigmoid", "swish"])
def test_a_tensor_call_that_pytorch_lacks_is_refused(fn):
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match=f"{fn} has no tensor method"):
        costcalc.analyze(_spec({"kind": "activation", "fn": fn, "functional": "tensor"}))


def test_no_zoo_model_calls_an_activation_or_pool_as_a_function_except_its_global_pools():
    """torchvision's forward methods (0.29.1) call activations and pools as modules, except
    MobileNet v2's F.adaptive_avg_pool2d and MnasNet's and ShuffleNet v2's x.mean([2, 3]) (the
    global_avg_pool field), and the detection and segmentation heads' F.interpolate (and the FPN's
    F.max_pool2d extra level); ConvNeXt's LayerNorm2d is layer_norm's own rule. So the zoo's specs
    leave every other call at its module default."""
    from costcalc.graph import quantities as q

    called = {}
    for model in zoo.names():
        flavor = {"flavor": "torchvision"} if "flavor" in costcalc.load(model).parameters else {}
        for node in costcalc.analyze(model, **flavor).graph.nodes:
            call = node.info.get("functional", False)
            if node.kind == "global_avg_pool":
                call = "mean" if q.MEAN_IN in node.counts else q.GAP_MODULE_IN not in node.counts
            if call is not False:
                called.setdefault(model, set()).add((node.kind, call))
    assert called == {"mobilenet_v2": {("global_avg_pool", True)},
                      "mnasnet1_0": {("global_avg_pool", "mean")},
                      "shufflenet_v2_x1_0": {("global_avg_pool", "mean")},
                      "deeplabv3_mobilenet_v3_large": {("upsample", True)},
                      "lraspp_mobilenet_v3_large": {("upsample", True)},
                      "fasterrcnn_mobilenet_v3_large_320_fpn": {("maxpool", True),
                                                                ("upsample", True)}}


@pytest.mark.parametrize("model", zoo.names())
def test_calflops_macs_profile_has_the_flops_of_the_same_run(model):
    """calflops reports MACs and FLOPs of one run: both profiles give the same FLOPs (the kinds
    declare their FLOP charges for calflops-flops; ConvNeXt's LayerNorm and GELU included)."""
    assert costcalc.analyze(model, "calflops").flops() == \
        costcalc.analyze(model, "calflops-flops").flops()


@pytest.mark.parametrize("fields, call, measured", CASES, ids=IDS)
def test_calflops_flops_of_each_call_are_shared(fields, call, measured):
    graph = build(fields)
    assert [conventions.get("calflops").node_flops(n.counts) for n in graph.nodes] == \
        [conventions.get("calflops-flops").node_flops(n.counts) for n in graph.nodes]
