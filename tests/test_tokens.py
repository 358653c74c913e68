"""Tokens next to C x H x W maps, and the kinds that make, use and leave them (patch_embed,
to_tokens, to_map, class_token, pos_embed, take_token, attention, matmul): shape rule, which
kinds take tokens, counts under every convention, memory and the symbolic form, as tables.

Tool figures are measured, not derived: each was read from the tool (fvcore 0.1.5, ptflops 0.7.5,
thop 0.1.1, torchinfo 1.8.0, torch 2.14.1 FlopCounterMode with scaled_dot_product_attention on
its math backend, calflops 0.3.2, onnx-tool 1.0.1 on an opset-17 export) running the module in
the ``module`` column once, in eval mode with autograd on (tests/crosscheck/test_crosscheck.py's
``run_tool(..., grad=True)``; without autograd nn.MultiheadAttention takes a fused fast path, see
docs/conventions.md).
"""
from __future__ import annotations

import pytest
import sympy

from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.errors import SpecError
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.registry import KINDS, Shape, Tokens, load_all, public_kinds
from costcalc.memory.liveness import Buffers
from tool_artifacts import ONNX_MHA_SCALAR_MACS, export_residual

MAP = Shape(16, 8, 8)
SEQ = Tokens(64, 10, 1)  # N = 10 tokens of width D = 64
GRID = Tokens(32, 4, 4)  # 16 tokens of width 32 on a 4 x 4 grid


def run(kind: str, x, symbolic: bool = False, **fields):
    b = GraphBuilder(symbolic=symbolic)
    inputs = [b.input(s) for s in x] if isinstance(x, list) else b.input(x)
    y = b.call(kind, inputs, "layer", **fields)
    return b.graph("one", x[0] if isinstance(x, list) else x), y


# ----------------------------------------------------------------------------- which kinds take tokens
# Every kind decides: maps only (the rest), maps or tokens, or tokens only.
ACCEPT = {"activation", "gelu", "tanh", "softmax", "layer_norm", "linear", "dropout", "identity",
          "layer_scale", "bias", "channel_split", "residual", "parallel", "add", "multiply", "concat",
          "matmul", "attention"}
ONLY = {"to_map", "class_token", "pos_embed", "take_token", "patch_merging"}


def test_every_kind_states_what_it_does_with_tokens():
    assert {k for k, kind in load_all().items() if kind.tokens == "accept"} == ACCEPT
    assert {k for k, kind in load_all().items() if kind.tokens == "only"} == ONLY


# Required fields of the kinds that refuse tokens, enough to build them on a map.
REQUIRED = {"conv": {"out": 8}, "conv_transpose": {"out": 8, "kernel": 2}, "dwconv": {},
            "pwconv": {"out": 8}, "bn": {}, "group_norm": {"groups": 2},
            "instance_norm": {}, "avgpool": {"kernel": 2}, "maxpool": {"kernel": 2},
            "global_avg_pool": {}, "adaptive_avg_pool": {"size": 2}, "upsample": {"scale": 2},
            "flatten": {}, "channel_shuffle": {"groups": 2}, "se": {}, "to_tokens": {},
            "patch_embed": {"out": 8, "patch": 2}, "bneck": {"out": 8},
            "inverted_residual": {"out": 8}, "mbconv": {"out": 8},
            "depthwise_separable": {"out": 8}, "roi_align": {"proposals": 3},
            "roi_crop": {"size": 2, "proposals": 3}}


@pytest.mark.parametrize("kind", sorted(k for k in public_kinds()
                                        if KINDS[k].tokens == "refuse"))
def test_a_kind_that_refuses_tokens_says_so(kind):
    if kind not in REQUIRED:
        pytest.fail(f"add {kind}'s required fields to REQUIRED")
    with pytest.raises(SpecError, match="takes C x H x W maps, not tokens .*add to_map first"):
        run(kind, GRID, **REQUIRED[kind])


@pytest.mark.parametrize("kind, fields", [("to_map", {}), ("class_token", {}),
                                          ("pos_embed", {}), ("take_token", {}),
                                          ("attention", {"heads": 2}), ("patch_merging", {})])
def test_a_kind_that_needs_tokens_says_so(kind, fields):
    with pytest.raises(SpecError, match="takes tokens, not a C x H x W map .*to_tokens or "
                       "patch_embed first"):
        run(kind, MAP, **fields)


# ----------------------------------------------------------------------------- shape rule
SHAPES = [
    ("to_tokens", {}, MAP, Tokens(16, 8, 8)),
    ("to_map", {}, GRID, Shape(32, 4, 4)),
    ("patch_embed", {"out": 32, "patch": 4}, Shape(3, 16, 16), Tokens(32, 4, 4)),
    ("patch_embed", {"out": 32, "patch": 4}, Shape(3, 18, 17), Tokens(32, 4, 4)),
    ("class_token", {}, GRID, Tokens(32, 17, 1)),
    ("pos_embed", {}, SEQ, SEQ),
    ("take_token", {}, SEQ, Shape(64, 1, 1)),
    ("take_token", {"index": 9}, SEQ, Shape(64, 1, 1)),
    ("layer_norm", {}, SEQ, SEQ),
    ("gelu", {}, SEQ, SEQ),
    ("tanh", {}, SEQ, SEQ),
    ("activation", {"fn": "relu"}, SEQ, SEQ),
    ("dropout", {}, SEQ, SEQ),
    ("softmax", {}, SEQ, SEQ),
    ("layer_scale", {}, SEQ, SEQ),
    ("linear", {"out": 8}, GRID, Tokens(8, 4, 4)),
    ("channel_split", {"parts": 2}, SEQ, Tokens(32, 10, 1)),
    ("attention", {"heads": 4}, SEQ, SEQ),
    ("attention", {"heads": 2}, GRID, GRID),
    ("attention", {"heads": 2, "window": 3, "shift": 1}, GRID, GRID),
    ("patch_merging", {}, GRID, Tokens(64, 2, 2)),
    ("patch_merging", {}, Tokens(32, 7, 5), Tokens(64, 4, 3)),
    ("matmul", {}, [Shape(4, 6, 5), Shape(4, 5, 3)], Shape(4, 6, 3)),
    ("matmul", {}, [Shape(1, 6, 5), Shape(4, 5, 3)], Shape(4, 6, 3)),
    ("matmul", {}, [Tokens(8, 10, 1), Tokens(10, 8, 1)], Tokens(10, 10, 1)),
    ("add", {}, [SEQ, SEQ], SEQ),
]


@pytest.mark.parametrize("kind, fields, x, out", SHAPES)
def test_shape_rule(kind, fields, x, out):
    _, y = run(kind, x, **fields)
    assert y.shape == out and type(y.shape) is type(out)


def test_tokens_never_equal_a_map_of_the_same_sizes():
    assert Tokens(16, 8, 8) != Shape(16, 8, 8) and Shape(16, 8, 8) != Tokens(16, 8, 8)
    assert (Tokens(64, 10, 1).text(), GRID.text()) == ("10x64 tokens", "4x4x32 tokens")


@pytest.mark.parametrize("kind, fields, x, message", [
    ("attention", {"heads": 5}, SEQ, "heads=5 must divide the token width 64"),
    ("attention", {"heads": 4, "shift": 2}, SEQ, "shift needs a window"),
    ("attention", {"heads": 4, "modules": True}, SEQ, "modules needs a window"),
    ("attention", {"heads": 4, "window": 3, "shift": 3}, GRID, "shift 3 must be smaller"),
    ("take_token", {"index": 10}, SEQ, "index 10 out of range for 10 tokens"),
    ("matmul", {}, [Shape(4, 6, 5), Shape(4, 4, 3)], "inner sizes 5 and 4 differ"),
    ("matmul", {}, [Shape(2, 6, 5), Shape(4, 5, 3)], "batches 2 and 4 differ"),
    ("matmul", {}, [Shape(2, 6, 5)], "two inputs"),
    ("add", {}, [Tokens(16, 8, 8), Shape(16, 8, 8)], "cannot add"),
    ("concat", {}, [Tokens(16, 8, 8), Shape(16, 8, 8)], "cannot concat tokens with"),
    ("multiply", {}, [Tokens(16, 8, 8), Shape(16, 8, 8)], "cannot multiply tokens with"),
])
def test_bad_token_input_is_refused(kind, fields, x, message):
    with pytest.raises(SpecError, match=message):
        run(kind, x, **fields)


# ----------------------------------------------------------------------------- tools
PROFILES = ("paper", "fvcore", "ptflops", "ptflops-aten", "thop", "torchinfo", "flopcounter",
            "calflops", "calflops-flops", "onnx-tool")
# kind, fields, input, module measured, the tool's reported number per profile (its MACs, or its
# FLOPs for flopcounter and calflops-flops), params. "paper" is the architecture's MACs.
MEASURED = [
    ("attention", {"heads": 4}, SEQ,
     "nn.MultiheadAttention(64, 4, batch_first=True), x of 10 x 64, need_weights=False",
     {"paper": 176640, "fvcore": 163840, "ptflops-aten": 166400, "torchinfo": 0,
      "flopcounter": 353280, "calflops": 163840, "calflops-flops": 327680, "thop": 0,
      "ptflops": 180240, "onnx-tool": 194958}, 16640),
    ("attention", {"heads": 4, "qkv_bias": False, "proj_bias": False}, SEQ,
     "nn.MultiheadAttention(64, 4, bias=False, batch_first=True), 10 x 64",
     {"paper": 176640, "fvcore": 163840, "ptflops-aten": 163840, "torchinfo": 0,
      "flopcounter": 353280, "calflops": 163840, "calflops-flops": 327680, "thop": 0,
      "ptflops": 178320, "onnx-tool": 192398}, 16384),
    ("attention", {"heads": 8}, Tokens(64, 7, 1),
     "nn.MultiheadAttention(64, 8, batch_first=True), x of 7 x 64",
     {"paper": 120960, "fvcore": 114688, "ptflops-aten": 116480, "torchinfo": 0,
      "flopcounter": 241920, "calflops": 114688, "calflops-flops": 229376, "thop": 0,
      "ptflops": 123592, "onnx-tool": 137838}, 16640),
]
# torchvision's ShiftedWindowAttention(D, [M, M], [S, S], H) after a bias-free nn.Linear(8, D) on
# an h x w grid of 8-wide tokens (calflops needs a parameter before the functional calls; the
# tokens reach the attention through that linear in every row): (h, w, M, S, H, D, figures,
# params with the linear's). onnx-tool also charges the shape arithmetic of tool_artifacts.py.
WINDOWED = [
    (7, 7, 7, 0, 2, 32, {"fvcore": 366912, "ptflops-aten": 373184, "torchinfo": 256,
                         "flopcounter": 733824, "calflops": 366912, "calflops-flops": 738626,
                         "thop": 12544, "ptflops": 171010, "onnx-tool": 552427}, 4818),
    (14, 14, 7, 3, 2, 32, {"fvcore": 1467648, "ptflops-aten": 1492736, "torchinfo": 256,
                           "flopcounter": 2935296, "calflops": 1467648,
                           "calflops-flops": 2954504, "thop": 50176, "ptflops": 684040,
                           "onnx-tool": 2267597}, 4818),
    (9, 9, 7, 0, 4, 32, {"fvcore": 1438208, "ptflops-aten": 1463296, "torchinfo": 256,
                         "flopcounter": 2876416, "calflops": 1438208, "calflops-flops": 2914832,
                         "thop": 20736, "ptflops": 673808, "onnx-tool": 2890961}, 5156),
    (9, 9, 7, 3, 4, 32, {"fvcore": 1438208, "ptflops-aten": 1463296, "torchinfo": 256,
                         "flopcounter": 2876416, "calflops": 1438208, "calflops-flops": 2914832,
                         "thop": 20736, "ptflops": 673808, "onnx-tool": 2968061}, 5156),
    (21, 21, 7, 3, 2, 32, {"onnx-tool": 5102002}, 4818),
    (21, 21, 7, 0, 2, 32, {"onnx-tool": 4971835}, 4818),
    (16, 16, 8, 4, 2, 32, {"onnx-tool": 3514697}, 4930),
    (16, 16, 8, 0, 2, 32, {"onnx-tool": 3416065}, 4930),
    (14, 14, 7, 3, 4, 64, {"onnx-tool": 6102141}, 17828),
    (14, 14, 7, 0, 4, 64, {"onnx-tool": 6025041}, 17828),
    (10, 10, 7, 3, 2, 32, {"onnx-tool": 2243021}, 4818),
    (10, 10, 7, 0, 2, 32, {"onnx-tool": 2185129}, 4818),
]


def window_graph(h, w, window, shift, heads, dim):
    b = GraphBuilder()
    y = b.call("linear", b.input(Tokens(8, h, w)), "fc", out=dim, bias=False)
    b.call("attention", y, "attn", heads=heads, window=window, shift=shift)
    return b.graph("two", Tokens(8, h, w))


@pytest.mark.parametrize("h, w, window, shift, heads, dim, tools, params", WINDOWED)
def test_window_attention_reproduces_each_measured_tool(h, w, window, shift, heads, dim, tools,
                                                        params):
    graph = window_graph(h, w, window, shift, heads, dim)
    report = Report.from_graph(graph, {}, conventions.get("torchvision"))
    assert report.total.params == params  # sum(p.numel()), the table included
    for profile, figure in tools.items():
        assert reported(graph, profile) + export_residual(profile, report) == figure, profile


# torchvision's MaxViT RelativePositionalMultiHeadAttention(D, D / H, 49) after a bias-free
# nn.Linear(8, D), on the h x w grid's 7 x 7 groups as the module takes them ([1, G, 49, 8]):
# (h, w, M, H, D, figures, params with the linear's). onnx-tool left out: on the lone module it
# charges 7 MACs of shape arithmetic more than in maxvit_t, where the exporter folds them.
MODULE_WINDOWED = [
    (7, 7, 7, 2, 32, {"fvcore": 366948, "ptflops-aten": 373184, "torchinfo": 4480,
                      "flopcounter": 733824, "calflops": 213248, "calflops-flops": 738698,
                      "thop": 213248, "ptflops": 224322}, 4818),
    (14, 14, 7, 2, 64, {"fvcore": 4540616, "ptflops-aten": 4591104, "torchinfo": 17152,
                        "flopcounter": 9081856, "calflops": 3311616, "calflops-flops": 9100440,
                        "thop": 3311616, "ptflops": 3381000}, 17490),
    (14, 14, 7, 4, 32, {"fvcore": 1467692, "ptflops-aten": 1492736, "torchinfo": 4480,
                        "flopcounter": 2935296, "calflops": 852992, "calflops-flops": 2973800,
                        "thop": 852992, "ptflops": 916496}, 5156),
]


@pytest.mark.parametrize("h, w, window, heads, dim, tools, params", MODULE_WINDOWED)
def test_module_window_attention_reproduces_each_measured_tool(h, w, window, heads, dim, tools,
                                                               params):
    b = GraphBuilder()
    y = b.call("linear", b.input(Tokens(8, h, w)), "fc", out=dim, bias=False)
    b.call("attention", y, "attn", heads=heads, window=window, modules=True)
    graph = b.graph("two", Tokens(8, h, w))
    report = Report.from_graph(graph, {}, conventions.get("torchvision"))
    assert report.total.params == params  # sum(p.numel()), the table included
    assert report.total.macs == Report.from_graph(window_graph(h, w, window, 0, heads, dim), {},
                                                  conventions.get("torchvision")).total.macs
    for profile, figure in tools.items():
        assert reported(graph, profile) + export_residual(profile, report) == figure, profile


def test_window_attention_counts_the_padded_grid():
    """9 x 9 tokens in 7 x 7 windows are padded to 14 x 14: 196 tokens, 4 windows."""
    graph = window_graph(9, 9, 7, 0, 4, 32)
    qkv = next(n for n in graph.nodes if n.name == "attn.qkv")
    scores = next(n for n in graph.nodes if n.name == "attn.scores")
    assert qkv.info["rows"] == 196 and tuple(scores.shape) == (16, 49, 49)
    assert graph.nodes[-1].shape == Tokens(32, 9, 9)


# torchvision's PatchMerging(32) after a bias-free nn.Linear(8, 32) on 8 x 8 and on 7 x 7 (padded)
MERGING = [
    (8, {"fvcore": 157696, "ptflops-aten": 147456, "torchinfo": 8704, "flopcounter": 294912,
         "calflops": 147456, "calflops-flops": 305152, "thop": 155648, "ptflops": 149504,
         "onnx-tool": 162257}),
    (7, {"fvcore": 153856, "ptflops-aten": 143616, "torchinfo": 8704, "flopcounter": 287232,
         "calflops": 143616, "calflops-flops": 297472, "thop": 151808, "ptflops": 145664,
         "onnx-tool": 158417}),
]


@pytest.mark.parametrize("side, tools", MERGING)
@pytest.mark.parametrize("profile", PROFILES[1:])
def test_patch_merging_reproduces_each_measured_tool(side, tools, profile):
    b = GraphBuilder()
    y = b.call("linear", b.input(Tokens(8, side, side)), "fc", out=32, bias=False)
    b.call("patch_merging", y, "merge")
    graph = b.graph("two", Tokens(8, side, side))
    report = Report.from_graph(graph, {}, conventions.get("torchvision"))
    assert report.total.params == 8704
    assert reported(graph, profile) + export_residual(profile, report) == tools[profile]


# The matmul after a bias-free nn.Linear(8, 8) on 10 x 8 (640 MACs, 64 params, measured with
# it since calflops refuses a model without parameters): torch.matmul(y, y.transpose(-1, -2))
# and y @ y.transpose(-1, -2).
LINEAR_8 = {"paper": 640, "fvcore": 640, "ptflops-aten": 640, "torchinfo": 64,
            "flopcounter": 1280, "calflops": 640, "calflops-flops": 1280, "thop": 640,
            "ptflops": 640, "onnx-tool": 640}
MATMULS = [
    ({}, "torch.matmul", {"paper": 1440, "fvcore": 1440, "ptflops-aten": 1440, "torchinfo": 64,
                          "flopcounter": 2880, "calflops": 1440, "calflops-flops": 2880,
                          "thop": 640, "ptflops": 1440, "onnx-tool": 1440}),
    ({"operator": True}, "@", {"paper": 1440, "fvcore": 1440, "ptflops-aten": 1440,
                               "torchinfo": 64, "flopcounter": 2880, "calflops": 640,
                               "calflops-flops": 1280, "thop": 640, "ptflops": 640,
                               "onnx-tool": 1440}),
]


def reported(graph, profile):
    rules = conventions.get(profile)
    return sum(rules.reported(n.counts) for n in graph.nodes)


@pytest.mark.parametrize("kind, fields, x, module, tools, params", MEASURED,
                         ids=[m for *_, m, _, _ in MEASURED])
@pytest.mark.parametrize("profile", PROFILES)
def test_attention_reproduces_each_measured_tool(kind, fields, x, module, tools, params,
                                                 profile):
    graph, y = run(kind, x, **fields)
    # onnx-tool also charges the exporter's scalar arithmetic (tests/tool_artifacts.py)
    artifact = ONNX_MHA_SCALAR_MACS if profile == "onnx-tool" else 0
    assert reported(graph, profile) + artifact == tools[profile]


@pytest.mark.parametrize("kind, fields, x, module, tools, params", MEASURED,
                         ids=[m for *_, m, _, _ in MEASURED])
@pytest.mark.parametrize("convention", conventions.BUILT_IN)
def test_attention_params_under_every_convention(kind, fields, x, module, tools, params,
                                                 convention):
    graph, _ = run(kind, x, **fields)
    report = Report.from_graph(graph, {}, conventions.get(convention))
    assert report.total.params == params


@pytest.mark.parametrize("fields, call, tools", MATMULS, ids=[c for _, c, _ in MATMULS])
@pytest.mark.parametrize("profile", PROFILES)
def test_matmul_reproduces_each_measured_tool(fields, call, tools, profile):
    b = GraphBuilder()
    y = b.call("linear", b.input(Tokens(8, 10, 1)), "fc", out=8, bias=False)
    # y^T: 8 rows of 10, i.e. 8 "tokens" of width 10
    b.call("matmul", [y, b.input(Tokens(10, 8, 1))], "mm", **fields)
    graph = b.graph("two", Tokens(8, 10, 1))
    assert reported(graph, profile) == tools[profile]


def test_the_linear_alone_is_what_the_matmul_rows_subtract():
    graph, _ = run("linear", Tokens(8, 10, 1), out=8, bias=False)
    assert {p: reported(graph, p) for p in PROFILES} == LINEAR_8


# ViT's pieces on tokens, measured inside torchvision's VisionTransformer(image_size=32,
# patch_size=16, num_layers=1, num_heads=2, hidden_dim=64, mlp_dim=128, num_classes=10):
# conv_proj 3 -> 64 (16 x 16, 4 patches), class token, position embedding 5 x 64, LayerNorm on
# 5 tokens, MLP 64 -> 128 -> 64 with GELU, the head on the class token.
SMALL_VIT = """name: small_vit
input: [3, 32, 32]
layers:
  - {kind: patch_embed, out: 64, patch: 16}
  - {kind: class_token}
  - {kind: pos_embed}
  - kind: residual
    body:
      - {kind: layer_norm}
      - {kind: attention, heads: 2}
      - {kind: dropout}
  - kind: residual
    body:
      - {kind: layer_norm}
      - {kind: linear, out: 128}
      - {kind: gelu}
      - {kind: linear, out: 64}
  - {kind: layer_norm}
  - {kind: take_token}
  - {kind: linear, out: 10}
"""
SMALL_VIT_TOOLS = {"fvcore": 365888, "ptflops": 369404, "ptflops-aten": 363594,
                   "thop": 283008, "torchinfo": 214474, "flopcounter": 728576,
                   "calflops-flops": 727872, "calflops": 361088, "onnx-tool": 381913}


@pytest.mark.parametrize("profile", sorted(SMALL_VIT_TOOLS))
def test_small_vit_under_each_tool(profile):
    from costcalc.spec.document import parse

    graph = parse(SMALL_VIT, "small_vit.yaml").build()
    report = Report.from_graph(graph, {}, conventions.get("torchvision"))
    # onnx-tool: plus the exporter's scalar arithmetic, 78 + 6 (tests/tool_artifacts.py)
    assert reported(graph, profile) + export_residual(profile, report) == \
        SMALL_VIT_TOOLS[profile]
    assert report.total.params == 83850  # sum(p.numel())


# ----------------------------------------------------------------------------- memory
def test_attention_writes_its_scores_and_views_write_nothing():
    b = GraphBuilder()
    x = b.call("pwconv", b.input(MAP), "pw", out=64)
    t = b.call("to_tokens", x, "tokens")
    y = b.call("attention", t, "attn", heads=4)
    b.call("take_token", y, "take")
    graph = b.graph("g", MAP)
    buffers = Buffers(graph)
    steps = [buffers.step(i) for i in range(len(graph.nodes))]
    names = [n.name for n in graph.nodes]
    assert steps[names.index("tokens")].writes == steps[names.index("pw")].writes
    assert steps[names.index("take")].writes == steps[names.index("attn.proj")].writes
    scores = graph.nodes[names.index("attn.scores")]
    assert scores.shape.elements == 4 * 64 * 64  # H N^2 for N = 8 x 8 tokens
    assert steps[names.index("attn.scores")].writes != steps[names.index("attn.qkv")].writes


# ----------------------------------------------------------------------------- symbolic
N, D = sympy.symbols("N D", positive=True, integer=True)
SYMBOLIC = [
    ("attention", {"heads": 4}, "paper", 4 * N * D**2 + 2 * N**2 * D, 4 * D**2 + 4 * D),
    ("attention", {"heads": 4}, "fvcore", 4 * N * D**2, 4 * D**2 + 4 * D),
    ("attention", {"heads": 4}, "ptflops", 4 * N * D**2 + 2 * N**2 * D + 4 * N**2 + 3 * N * D
     + 2 * N * D, 4 * D**2 + 4 * D),
    ("linear", {"out": 8}, "paper", 8 * N * D, 8 * D + 8),
    ("pos_embed", {}, "onnx-tool", N * D, N * D),
    ("class_token", {}, "paper", 0, D),
    # 7 x 7 windows on an N x 1 grid: closed forms take sizes as ideal (N / 7 windows down, as
    # H / s for a stride), the side of 1 is padded to 7: 7 N tokens attending to 49 each
    ("attention", {"heads": 4, "window": 7}, "paper", 4 * 7 * N * D**2 + 2 * 7 * N * 49 * D,
     4 * D**2 + 4 * D + 4 * 13**2),
]


@pytest.mark.parametrize("kind, fields, convention, macs, params", SYMBOLIC)
def test_symbolic_form(kind, fields, convention, macs, params):
    graph, _ = run(kind, Tokens(D, N, 1), symbolic=True, **fields)
    report = Report.from_graph(graph, {}, conventions.get(convention))
    assert sympy.expand(report.total.macs - macs) == 0
    assert sympy.expand(report.total.params - params) == 0


# ----------------------------------------------------------------------------- shown as tokens
def test_the_report_shows_tokens_as_tokens():
    from costcalc.costing.report_table import report_table
    from costcalc.spec.document import parse

    graph = parse(SMALL_VIT, "small_vit.yaml").build()
    report = Report.from_graph(graph, {}, conventions.get("paper"))
    outputs = {row["name"]: row["output"] for row in report_table(report).rows}
    assert outputs["patch0.conv"] == "64x2x2"
    assert outputs["patch0.tokens"] == outputs["patch0"] == "2x2x64 tokens"
    assert outputs["cls0"] == "5x64 tokens"
    assert outputs["take0"] == "64x1x1"


# ----------------------------------------------------------------------------- params, everywhere
# Every parameter of these kinds is an nn.Parameter that every tool's parameter count includes
# (onnx-tool's too: they are initializers of the export), so each convention gives the same.
PARAMS = [
    ("patch_embed", {"out": 32, "patch": 4}, Shape(3, 16, 16), 3 * 16 * 32 + 32),
    ("class_token", {}, GRID, 32),
    ("pos_embed", {}, SEQ, 640),
    ("attention", {"heads": 4}, SEQ, 4 * 64 * 64 + 4 * 64),
    ("attention", {"heads": 2, "window": 3, "shift": 1}, GRID, 4 * 32 * 32 + 4 * 32 + 2 * 25),
    ("patch_merging", {}, GRID, 8 * 32 * 32 + 8 * 32),
    ("linear", {"out": 8}, SEQ, 64 * 8 + 8),
    ("layer_norm", {}, SEQ, 128),
    ("take_token", {}, SEQ, 0),
]


@pytest.mark.parametrize("kind, fields, x, params", PARAMS)
@pytest.mark.parametrize("convention", conventions.BUILT_IN)
def test_params_under_every_convention(kind, fields, x, params, convention):
    graph, _ = run(kind, x, **fields)
    assert Report.from_graph(graph, {}, conventions.get(convention)).total.params == params


H, W = sympy.symbols("H W", positive=True, integer=True)
SYMBOLIC_GRID = [
    # closed forms take sizes as ideal: H / 2 x W / 2 merged tokens of 4D, then 4D -> 2D
    ("patch_merging", {}, "paper", 2 * H * W * D**2, 8 * D**2 + 8 * D),
    ("patch_embed", {"out": 32, "patch": 4}, "paper", H * W * D * 32, 16 * D * 32 + 32),
    ("to_tokens", {}, "paper", 0, 0),
]


@pytest.mark.parametrize("kind, fields, convention, macs, params", SYMBOLIC_GRID)
def test_symbolic_form_on_a_grid(kind, fields, convention, macs, params):
    shape = Shape(D, H, W) if kind in ("patch_embed", "to_tokens") else Tokens(D, H, W)
    graph, _ = run(kind, shape, symbolic=True, **fields)
    report = Report.from_graph(graph, {}, conventions.get(convention))
    assert sympy.expand(report.total.macs - macs) == 0
    assert sympy.expand(report.total.params - params) == 0


def test_patch_merging_writes_a_fresh_buffer():
    b = GraphBuilder()
    x = b.call("linear", b.input(GRID), "fc", out=32)
    b.call("patch_merging", x, "merge")
    graph = b.graph("g", GRID)
    buffers = Buffers(graph)
    steps = [buffers.step(i) for i in range(len(graph.nodes))]
    assert steps[1].writes != steps[0].writes  # the 2 x 2 concatenation is a new tensor
    assert graph.nodes[1].shape == Tokens(128, 2, 2)
