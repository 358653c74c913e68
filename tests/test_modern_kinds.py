"""The kinds of modern networks (norms, GELU, softmax, resampling): shape rule, counts under
every convention, memory behaviour and symbolic form, as tables of cases.

Expected tool figures are measured, not derived: each was read from the tool itself (fvcore
0.1.5, ptflops 0.7.5, thop 0.1.1, torchinfo 1.8.0, torch 2.14.1 FlopCounterMode, calflops 0.3.2,
onnx-tool 1.0.1 on an opset-17 export) running the named PyTorch module once on a 1 x 16 x 8 x 8
input (the measured module is in the ``module`` column; ptflops and calflops ran it after a
bias-free 16 -> 16 1x1 conv, whose figure was subtracted, since calflops raises on a module
without parameters). Conventions a row leaves out charge 0; None: a figure not reproduced
(calflops' FLOPs of ConvTranspose2d; see docs/modern-kinds.md).
"""
from __future__ import annotations

import pytest
import sympy

from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.registry import Shape, load_all
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
      "calflops-flops": 4096}, 0),
    ({"kind": "gelu"}, "nn.GELU()",
     {"ptflops": 2048, "calflops-flops": 1024, "onnx-tool": 7168}, 0),
    ({"kind": "gelu", "approximate": "tanh"}, 'nn.GELU("tanh")',
     {"ptflops": 2048, "calflops-flops": 1024, "onnx-tool": 86016}, 0),
    ({"kind": "tanh"}, "nn.Tanh()", {"onnx-tool": 77824}, 0),
    ({"kind": "softmax"}, "nn.Softmax(dim=1); ptflops and calflops on dim=-1",
     {"thop": 3008, "ptflops": 1024, "calflops-flops": 1024, "onnx-tool": 36864}, 0),
    ({"kind": "upsample", "scale": 2}, "nn.Upsample(scale_factor=2)",
     {"fvcore": 4096, "thop": 4096, "ptflops": 8192, "calflops-flops": 1024}, 0),
    ({"kind": "upsample", "scale": 2, "mode": "bilinear"},
     'nn.Upsample(scale_factor=2, mode="bilinear")',
     {"fvcore": 16384, "thop": 45056, "ptflops": 8192, "calflops-flops": 1024,
      "onnx-tool": 16384}, 0),
    ({"kind": "upsample", "scale": 2, "functional": True},
     "F.interpolate(x, scale_factor=2)",
     {"fvcore": 4096, "ptflops": 4096, "calflops-flops": 1024}, 0),
    ({"kind": "upsample", "scale": 2, "mode": "bilinear", "functional": True},
     'F.interpolate(x, scale_factor=2, mode="bilinear")',
     {"fvcore": 16384, "ptflops": 4096, "calflops-flops": 1024, "onnx-tool": 16384}, 0),
    ({"kind": "upsample", "size": 16, "mode": "bilinear", "functional": True},
     'F.interpolate(x, size=(16, 16), mode="bilinear")',
     {"fvcore": 16384, "ptflops": 4096, "calflops-flops": 256, "onnx-tool": 16384}, 0),
    ({"kind": "maxpool", "kernel": 1, "stride": 2}, "nn.MaxPool2d(1, 2)",
     {"ptflops": 2048, "calflops-flops": 1024, "onnx-tool": 256}, 0),
    ({"kind": "maxpool", "kernel": 1, "stride": 2, "functional": True}, "F.max_pool2d(x, 1, 2)",
     {"ptflops": 1024, "calflops-flops": 1024, "onnx-tool": 256}, 0),
    ({"kind": "conv_transpose", "out": 8, "kernel": 2, "stride": 2, "bias": True},
     "nn.ConvTranspose2d(16, 8, 2, stride=2)",
     {"paper": 32768, "fvcore": 32768, "ptflops-aten": 34816, "ptflops": 34816, "thop": 131072,
      "torchinfo": 133120, "flopcounter": 65536, "calflops-flops": None, "onnx-tool": 67584},
     520),
    ({"kind": "conv_transpose", "out": 8, "kernel": 3, "stride": 2, "padding": 1,
      "output_padding": 1},
     "nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1, bias=False)",
     {"paper": 73728, "fvcore": 73728, "ptflops-aten": 73728, "ptflops": 73728, "thop": 294912,
      "torchinfo": 294912, "flopcounter": 147456, "calflops-flops": None, "onnx-tool": 147456},
     1152),
]
# Output shapes (PyTorch's): resampling doubles 8 x 8; everything else keeps the input shape.
OUTPUT = {"upsample": Shape(16, 16, 16), "conv_transpose": Shape(8, 16, 16),
          "maxpool": Shape(16, 4, 4)}
TOOLS = ("fvcore", "ptflops", "ptflops-aten", "thop", "torchinfo", "flopcounter",
         "calflops-flops", "onnx-tool")


def build(fields: dict, shape: Shape = SHAPE, symbolic: bool = False):
    b = GraphBuilder(symbolic=symbolic)
    fields = dict(fields)
    kind = fields.pop("kind")
    y = b.call(kind, b.input(shape), "layer", **fields)
    return b.graph("one", shape), y


def test_cases_cover_every_new_kind():
    new = {"layer_norm", "group_norm", "instance_norm", "gelu", "tanh", "softmax", "upsample",
           "conv_transpose"}
    assert new <= {fields["kind"] for fields, *_ in CASES} and new <= set(load_all())


@pytest.mark.parametrize("fields, module, reported, params", CASES,
                         ids=[m for _, m, _, _ in CASES])
@pytest.mark.parametrize("tool", TOOLS)
def test_each_convention_reproduces_the_measured_tool(fields, module, reported, params, tool):
    graph, y = build(fields)
    assert y.shape == OUTPUT.get(fields["kind"], SHAPE)
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
        assert report.total.macs == reported.get("paper", 0)


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

S = sympy.Symbol("s", positive=True, integer=True)
SYMBOLIC_RESAMPLING = [
    ({"kind": "upsample", "scale": S}, "fvcore", C * S**2 * H * W, 0),
    ({"kind": "upsample", "scale": 2, "mode": "bilinear"}, "thop", 44 * C * H * W, 0),
    # stride s, kernel s, no padding: H_out = s H; MACs = C H W (N) s^2 on the input side
    ({"kind": "conv_transpose", "out": 8, "kernel": S, "stride": S}, "paper",
     8 * C * H * W * S**2, 8 * C * S**2),
    ({"kind": "conv_transpose", "out": 8, "kernel": S, "stride": S}, "thop",
     8 * C * H * W * S**4, 8 * C * S**2),
]


@pytest.mark.parametrize("fields, convention, macs, params", SYMBOLIC_RESAMPLING)
def test_symbolic_form_of_resampling(fields, convention, macs, params):
    test_symbolic_form(fields, convention, macs, params)


# conv_transpose output sizes: PyTorch's rule, (H - 1) s - 2p + d (k - 1) + output_padding + 1
# (values from nn.ConvTranspose2d(...)(torch.zeros(1, 16, 8, 8)).shape).
SIZES = [
    ({"kernel": 2, "stride": 2}, 16),
    ({"kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}, 16),
    ({"kernel": 3, "stride": 2, "padding": 1}, 15),
    ({"kernel": 4, "stride": 2, "padding": 1}, 16),
    ({"kernel": 3, "stride": 1, "padding": 1}, 8),
    ({"kernel": 3, "stride": 1, "dilation": 2}, 12),
]


@pytest.mark.parametrize("fields, side", SIZES)
def test_conv_transpose_output_size(fields, side):
    _, y = build({"kind": "conv_transpose", "out": 4, **fields})
    assert (y.shape.h, y.shape.w) == (side, side)


@pytest.mark.parametrize("fields, message", [
    ({"kind": "conv_transpose", "out": 8, "kernel": 2, "stride": 2, "output_padding": 2},
     "output_padding 2 must be smaller"),
    ({"kind": "conv_transpose", "out": 8, "kernel": 2, "groups": 3}, "groups=3 must divide"),
    ({"kind": "conv_transpose", "out": 8, "kernel": 1, "padding": 4}, "height would be"),
    ({"kind": "upsample"}, "exactly one of 'scale', 'size' and 'size_of'"),
    ({"kind": "upsample", "scale": 2, "size": 4}, "exactly one of 'scale', 'size' and 'size_of'"),
])
def test_bad_resampling_is_refused(fields, message):
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match=message):
        build(fields)


# ----------------------------------------------------------------------------- merges
def spec_graph(layers: str, input_shape: str = "[16, 8, 8]"):
    from costcalc.spec.document import parse

    return parse(f"name: t\ninput: {input_shape}\nlayers:\n{layers}", "t.yaml").build()


MULTIPLY = [  # shapes multiplied, broadcast result
    ([Shape(16, 8, 8), Shape(16, 1, 1)], Shape(16, 8, 8)),
    ([Shape(16, 1, 1), Shape(16, 8, 8)], Shape(16, 8, 8)),
    ([Shape(16, 8, 8), Shape(1, 8, 8)], Shape(16, 8, 8)),
    ([Shape(16, 8, 8), Shape(16, 8, 8), Shape(16, 8, 8)], Shape(16, 8, 8)),
]


@pytest.mark.parametrize("shapes, result", MULTIPLY)
def test_multiply_broadcasts_and_records_its_multiplies(shapes, result):
    b = GraphBuilder()
    inputs = [b.call("identity", b.input(shape), f"i{j}") for j, shape in enumerate(shapes)]
    y = b.call("multiply", inputs, "mul")
    assert y.shape == result
    node = b.nodes[-1]
    assert node.counts == {"mul": (len(shapes) - 1) * result.elements}
    assert conventions.get("onnx-tool").node_macs(node.counts) == (len(shapes) - 1) * 1024
    assert conventions.get("paper").node_macs(node.counts) == 0


@pytest.mark.parametrize("shapes", [[Shape(16, 8, 8), Shape(8, 8, 8)],
                                    [Shape(16, 8, 8), Shape(16, 4, 4)]])
def test_multiply_of_incompatible_shapes_is_refused(shapes):
    from costcalc.errors import SpecError

    b = GraphBuilder()
    inputs = [b.call("identity", b.input(shape), f"i{j}") for j, shape in enumerate(shapes)]
    with pytest.raises(SpecError, match="cannot multiply"):
        b.call("multiply", inputs, "mul")


def test_parallel_multiply_gate_in_a_spec():
    graph = spec_graph("""  - kind: parallel
    merge: multiply
    branches:
      - []
      - [{kind: global_avg_pool}, {kind: pwconv, out: 16, bias: true, act: sigmoid}]
""")
    last = graph.nodes[-1]
    assert (last.kind, last.shape, last.counts) == ("multiply", Shape(16, 8, 8), {"mul": 1024})
    # memory: the product overwrites the gated input when nothing reads it later
    from costcalc.memory.liveness import node_steps

    steps = node_steps(graph)
    assert steps[-1].writes == steps[0].reads[0]


def test_residual_without_shortcut_has_no_add():
    graph = spec_graph("""  - kind: residual
    shortcut: none
    act: relu
    body:
      - {kind: conv, out: 32, kernel: 3, stride: 2}
""")
    assert [n.kind for n in graph.nodes] == ["conv", "activation"]
    assert graph.nodes[-1].shape == Shape(32, 4, 4)


SPLITS = [  # fields, output channels
    ({"parts": 2, "index": 1}, 8),
    ({"parts": 4, "index": 3}, 4),
    ({"channels": 12}, 12),
    ({"channels": 5, "offset": 11}, 5),
]


@pytest.mark.parametrize("fields, channels", SPLITS)
def test_channel_split_parts(fields, channels):
    _, y = build({"kind": "channel_split", **fields})
    assert y.shape == Shape(channels, 8, 8)


@pytest.mark.parametrize("fields, message", [
    ({"channels": 12, "offset": 5}, "out of range for 16"),
    ({"channels": 4, "index": 1}, "either parts and index or channels"),
    ({"offset": 2}, "offset goes with channels"),
])
def test_bad_channel_split_is_refused(fields, message):
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match=message):
        build({"kind": "channel_split", **fields})


# ----------------------------------------------------------------------------- ConvNeXt's block
# torchvision's CNBlock(16, layer_scale=1e-6, stochastic_depth_prob=0) on 1 x 16 x 8 x 8, each
# tool's total measured after a bias-free 16 -> 16 1x1 conv whose own figure was subtracted:
# 7x7 depthwise conv + bias, nn.LayerNorm, Linear 16 -> 64, GELU, Linear 64 -> 16, layer scale,
# residual add. Params 784 + 16 + 32 + 1088 + 1040 + 16 = 2,976 (onnx-tool: 3,232 - 256).
CNBLOCK = """  - kind: residual
    shortcut: identity
    body:
      - {kind: dwconv, kernel: 7, padding: 3, bias: true}
      - {kind: layer_norm, channels_last: true}
      - {kind: linear, out: 64, per_position: true}
      - {kind: gelu}
      - {kind: linear, out: 16, per_position: true}
      - {kind: layer_scale}
"""
CNBLOCK_TOOLS = {"fvcore": 186_368, "ptflops": 196_608, "ptflops-aten": 187_392,
                 "thop": 185_344, "torchinfo": 53_360, "flopcounter": 362_496,
                 "calflops-flops": 372_736, "onnx-tool": 243_520 - 16_384}


@pytest.mark.parametrize("tool", sorted(CNBLOCK_TOOLS))
def test_convnext_block_under_each_tool(tool):
    graph = spec_graph(CNBLOCK)
    rules = conventions.get(tool)
    assert sum(rules.reported(n.counts) for n in graph.nodes) == CNBLOCK_TOOLS[tool]
    assert Report.from_graph(graph, {}, rules).total.params == 2976


# nn.Linear(16, 32) on a 8 x 8 channels-last map (64 rows), with and without bias.
@pytest.mark.parametrize("bias, tool, reported", [
    (True, "fvcore", 32768), (True, "thop", 32768), (True, "ptflops", 34816),
    (True, "torchinfo", 544), (True, "flopcounter", 65536), (True, "calflops-flops", 65536),
    (True, "onnx-tool", 34816), (False, "torchinfo", 512), (False, "ptflops", 32768),
    (False, "onnx-tool", 32768),
])
def test_linear_per_position(bias, tool, reported):
    graph, y = build({"kind": "linear", "out": 32, "bias": bias, "per_position": True})
    assert y.shape == Shape(32, 8, 8)
    assert sum(conventions.get(tool).reported(n.counts) for n in graph.nodes) == reported


def test_linear_on_a_map_needs_per_position():
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match="per_position"):
        build({"kind": "linear", "out": 32})


# ----------------------------------------------------------------------------- geometry
# Non-square kernels, strides, paddings and dilations on a 16 x 8 x 9 input; output sizes from
# torch.nn.Conv2d / MaxPool2d / AvgPool2d on torch.zeros(1, 16, 8, 9).
GEOMETRY = [
    ("{kind: conv, out: 4, kernel: [1, 7], padding: [0, 3]}", (8, 9), 7 * 16 * 4 * 72,
     7 * 16 * 4),
    ("{kind: conv, out: 4, kernel: [3, 1], stride: [2, 1], padding: [1, 0]}", (4, 9),
     3 * 16 * 4 * 36, 3 * 16 * 4),
    ("{kind: conv, out: 4, kernel: 3, dilation: [2, 1], padding: 0}", (4, 7), 9 * 16 * 4 * 28,
     9 * 16 * 4),
    ("{kind: dwconv, kernel: [1, 5], padding: [0, 2]}", (8, 9), 5 * 16 * 72, 5 * 16),
    ("{kind: maxpool, kernel: [3, 1], stride: [2, 1]}", (3, 9), 0, 0),
    ("{kind: avgpool, kernel: [2, 3]}", (4, 3), 0, 0),
    ("{kind: conv, out: 4, kernel: [3, 3], stride: [2, 2], padding: 1}", (4, 5),
     9 * 16 * 4 * 20, 9 * 16 * 4),
]


@pytest.mark.parametrize("entry, side, macs, params", GEOMETRY)
def test_non_square_geometry(entry, side, macs, params):
    graph = spec_graph(f"  - {entry}\n", "[16, 8, 9]")
    node = graph.nodes[-1]
    assert (node.shape.h, node.shape.w) == side
    report = Report.from_graph(graph, {}, conventions.get("paper"))
    assert (report.total.macs, report.total.params) == (macs, params)


def test_a_square_pair_is_the_plain_number():
    one = spec_graph("  - {kind: conv, out: 4, kernel: [3, 3]}\n").nodes[-1]
    assert one.info["kernel"] == 3


def test_pool_window_reads_use_the_kernel_area():
    node = spec_graph("  - {kind: maxpool, kernel: [3, 1], stride: [2, 1]}\n",
                      "[16, 8, 9]").nodes[-1]
    assert node.counts["maxpool_window"] == 3 * 16 * 3 * 9


@pytest.mark.parametrize("entry, message", [
    ("{kind: conv, out: 4, kernel: [1, 7, 7]}", "a list \\[height, width\\], got a list of 3"),
    ("{kind: conv, out: 4, kernel: [0, 3]}", "'kernel' must be at least 1"),
    ("{kind: conv, out: 4, kernel: [1, 2.5]}", "must be a whole number"),
    ("{kind: conv, out: 4, kernel: [3, [1]]}", "list of two numbers"),
    ("{kind: conv, out: 4, padding: [-1, 0]}", "at least 0"),
])
def test_bad_geometry_is_a_located_error(entry, message):
    from costcalc.errors import SpecError

    with pytest.raises(SpecError, match=message) as info:
        spec_graph(f"  - {entry}\n")
    assert info.value.line == 4
