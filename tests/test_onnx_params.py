"""ONNX import: every learned tensor counted as parameters once, every norm's optional inputs,
LayerNorm over C x H x W, token inputs, and `costcalc import` of every fixture re-analysed to
the identical report under every convention (onnx.helper fixtures, no torch).

The rule (docs/onnx.md, "Parameters"): a float initializer of more than one value read as an
operand is learned (torch writes parameters and buffers as initializers); Constant nodes,
integer initializers and one-value initializers are constants. In these fixtures ``stub`` makes
learned tensors, ``floats``, ``ints`` and ``const`` constants.
"""
from __future__ import annotations

import math
import re

import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

from costcalc.api import analyze, load  # noqa: E402
from costcalc.costing import conventions  # noqa: E402
from costcalc.errors import CostcalcError  # noqa: E402
from cli_runner import run  # noqa: E402
from test_onnx_import import (CASES, LN_CONSTANTS, decomposed_layer_norm, floats, ints,  # noqa: E402
                              model_file, permute, rows, stub)


def node(op, inputs, outputs, name=None, **attrs):
    return helper.make_node(op, inputs, outputs, name=name or f"/{outputs[0]}/{op}", **attrs)


def const(out, values, dims):
    """A Constant node (what torch writes for tensors a forward creates): never a parameter."""
    return node("Constant", [], [out], value=floats(f"{out}_value", values, dims))


def ones(out, c, dims=None):
    return const(out, [1.0] * c, dims or [c])


def zeros(out, c, dims=None):
    return const(out, [0.0] * c, dims or [c])


CONV = node("Conv", ["x", "w"], ["c"], "/conv/Conv")
BN_STATS = [stub("m", [4]), stub("v", [4])]


def gn_torch(groups, affine=True, folded=False):
    """nn.GroupNorm(G, 4) on 1x4x3x3 as torch writes it at every opset: Reshape to [1, G, -1],
    InstanceNormalization with constant ones and zeros, Reshape back, Mul, Add (the weight and
    bias through Unsqueeze nodes, or folded into [4, 1, 1] initializers)."""
    nodes = [node("Reshape", ["x", "gshape"], ["r"], "/gn/Reshape"), ones("one_g", groups),
             zeros("zero_g", groups),
             node("InstanceNormalization", ["r", "one_g", "zero_g"], ["n"], "/gn/IN"),
             node("Shape", ["x"], ["xs"], "/gn/Shape"),
             node("Reshape", ["n", "xs"], ["back"], "/gn/Reshape_1")]
    inits = [ints("gshape", [1, groups, -1])]
    if affine and folded:
        inits += [stub("wf", [4, 1, 1]), stub("bf", [4, 1, 1])]
        scale, shift = "wf", "bf"
    else:
        if affine:
            inits += [stub("w", [4]), stub("b", [4])]
        else:
            nodes += [ones("w", 4), zeros("b", 4)]
        nodes += [node("Unsqueeze", ["w", "ax12"], ["wu"], "/gn/Unsqueeze"),
                  node("Unsqueeze", ["b", "ax12"], ["bu"], "/gn/Unsqueeze_1")]
        inits.append(ints("ax12", [1, 2]))
        scale, shift = "wu", "bu"
    nodes += [node("Mul", ["back", scale], ["gm"], "/gn/Mul"),
              node("Add", ["gm", shift], ["y"], "/gn/Add")]
    return nodes, [1, 4, 3, 3], inits


def group_norm_rows(groups, affine):
    counts = {"group_norm": 36}
    if affine:
        counts.update({"group_norm_affine": 36, "norm_params": 8})
    return [("group_norm", (4, 3, 3), counts)]


CONV_ROW = ("pwconv", (4, 3, 3), {"conv_macs": 4 * 4 * 9, "weights": 16})
BIAS_ROW = ("bias", (4, 3, 3), {"add": 36, "bias_params": 4})
LN_AFFINE = {"layer_norm": 8, "layer_norm_affine": 8, "layer_norm_rows": 1}
# a LayerNormalization on a [1, C] vector is nn.LayerNorm's (a module the hooks see)
LN_MODULE = {"layer_norm_module": 8, "layer_norm_module_affine": 8}

# (id, nodes, input shape, initializers, opset, expected rows (kind, C x H x W, quantities))
PARAM_CASES = [
    # 1. A learned tensor outside its layer: a bias added apart, a scale multiplied in.
    ("conv-no-bias-then-add-bias-1c11", [CONV, node("Add", ["c", "b"], ["y"], "/bias/Add")],
     [1, 4, 3, 3], [stub("w", [4, 4, 1, 1]), stub("b", [1, 4, 1, 1])], 17, [CONV_ROW, BIAS_ROW]),
    ("conv-no-bias-then-add-bias-c11-first", [CONV, node("Add", ["b", "c"], ["y"], "/bias/Add")],
     [1, 4, 3, 3], [stub("w", [4, 4, 1, 1]), stub("b", [4, 1, 1])], 17, [CONV_ROW, BIAS_ROW]),
    ("sub-of-a-learned-shift", [node("Sub", ["x", "b"], ["y"])], [1, 4, 3, 3],
     [stub("b", [4, 1, 1])], 17, [BIAS_ROW]),
    ("bias-through-an-unfolded-unsqueeze",  # torch without constant folding: Unsqueeze(b)
     [node("Unsqueeze", ["b", "ax"], ["bu"]), node("Add", ["x", "bu"], ["y"])], [1, 4, 3, 3],
     [stub("b", [4]), ints("ax", [1, 2])], 17, [BIAS_ROW]),
    ("matmul-then-a-bias-add-read-twice",  # the MatMul's output read elsewhere too: not fused
     [node("MatMul", ["x", "w"], ["m"], "/fc/MatMul"), node("Add", ["m", "b"], ["a"], "/fc/Add"),
      node("Relu", ["m"], ["r"], "/side/Relu"), node("Add", ["a", "r"], ["y"], "/sum/Add")],
     [1, 8], [stub("w", [8, 6]), stub("b", [6])], 17,
     [("linear", (6, 1, 1), {"linear_macs": 48, "weights": 48}),
      ("bias", (6, 1, 1), {"add": 6, "bias_params": 6}),
      ("activation", (6, 1, 1), {"act_relu": 6}), ("add", (6, 1, 1), {"add": 6})]),
    ("gemm-without-c-then-add",
     [node("Gemm", ["x", "w"], ["m"], "/fc/Gemm", transB=1), node("Add", ["m", "b"], ["y"])],
     [1, 8], [stub("w", [6, 8]), stub("b", [6])], 17,
     [("linear", (6, 1, 1), {"linear_macs": 48, "weights": 48}),
      ("bias", (6, 1, 1), {"add": 6, "bias_params": 6})]),
    ("bias-on-a-channels-last-map",
     [permute("x", "t"), node("Add", ["t", "b"], ["a"]), permute("a", "y", False)],
     [1, 4, 3, 3], [stub("b", [4])], 17, [BIAS_ROW]),
    ("conv-to-one-channel-keeps-its-one-value-bias",  # a layer's weight, whatever its size
     [node("Conv", ["x", "w", "b"], ["y"], "/head/Conv")], [1, 4, 3, 3],
     [stub("w", [1, 4, 1, 1]), stub("b", [1])], 17,
     [("pwconv", (1, 3, 3), {"conv_macs": 36, "weights": 4, "conv_bias": 9, "biases": 1})]),
    ("conv-bias-from-a-constant-is-no-parameter",
     [zeros("z", 4), node("Conv", ["x", "w", "z"], ["y"], "/conv/Conv")], [1, 4, 3, 3],
     [stub("w", [4, 4, 1, 1])], 17, [CONV_ROW]),
    ("div-by-a-learned-scale", [node("Div", ["x", "g"], ["y"])], [1, 4, 3, 3],
     [stub("g", [4, 1, 1])], 17, [("layer_scale", (4, 3, 3), {"mul": 36,
                                                              "layer_scale_params": 4})]),
    ("add-of-a-constant-tensor-is-no-parameter",  # a `bias` that is not learned
     [const("k", [1.0, 2.0, 3.0, 4.0], [4, 1, 1]), node("Add", ["x", "k"], ["y"])],
     [1, 4, 3, 3], [], 17, [("bias", (4, 3, 3), {"add": 36})]),
    ("add-of-a-one-value-initializer-is-no-parameter", [node("Add", ["x", "k"], ["y"])],
     [1, 4, 3, 3], [floats("k", [1.0], [1])], 17, [("bias", (4, 3, 3), {"add": 36})]),
    ("mul-of-a-broadcast-constant-grows-the-map",  # [1, 4, 1, 1] x [1, 1, 3, 3]: no view of x
     [const("k", [1.0] * 9, [1, 1, 3, 3]), node("Mul", ["x", "k"], ["y"])],
     [1, 4, 1, 1], [], 17, [("scale", (4, 3, 3), {"mul": 36})]),
    ("resize-scales-are-no-parameter", [node("Resize", ["x", "", "sc"], ["y"])], [1, 2, 3, 3],
     [floats("sc", [1.0, 1.0, 2.0, 2.0])], 17,
     [("upsample", (2, 6, 6), {"upsample_nearest": 72, "upsample_in": 18})]),
    # 2. Norms: which of scale and bias are learned (torch writes the others as Constants).
    ("layernorm-learned-scale-and-bias", [node("LayerNormalization", ["x", "s", "b"], ["y"])],
     [1, 8], [stub("s", [8]), stub("b", [8])], 17,
     [("layer_norm", (8, 1, 1), {**LN_AFFINE, **LN_MODULE, "norm_params": 16})]),
    ("layernorm-bias-false-constant-zero-bias",  # nn.LayerNorm(8, bias=False)
     [zeros("z", 8), node("LayerNormalization", ["x", "s", "z"], ["y"])], [1, 8],
     [stub("s", [8])], 17,
     [("layer_norm", (8, 1, 1), {**LN_AFFINE, **LN_MODULE, "norm_params": 8})]),
    ("layernorm-no-affine-constants",  # nn.LayerNorm(8, elementwise_affine=False)
     [ones("o", 8), zeros("z", 8), node("LayerNormalization", ["x", "o", "z"], ["y"])], [1, 8],
     [], 17, [("layer_norm", (8, 1, 1), {"layer_norm": 8, "layer_norm_rows": 1,
                                         "layer_norm_module": 8})]),
    ("layernorm-tokens-scale-only",
     [node("LayerNormalization", ["x", "s"], ["y"])], [1, 5, 8], [stub("s", [8])], 17,
     [("to_tokens", (8, 5, 1), {}),
      ("layer_norm", (8, 5, 1), {"layer_norm": 40, "layer_norm_affine": 40, "norm_params": 8,
                                 "layer_norm_rows": 5, "layer_norm_module": 40,
                                 "layer_norm_module_affine": 40})]),
    ("layernorm-decomposed-weight-no-bias", decomposed_layer_norm([-1], affine=True)[:-1] +
     [node("Identity", ["gm"], ["y"])], [1, 8], LN_CONSTANTS + [stub("g", [8])], 15,
     [("layer_norm", (8, 1, 1), {**LN_AFFINE, "norm_params": 8}),
      ("identity", (8, 1, 1), {})]),
    ("batchnorm-affine-false",  # nn.BatchNorm2d(4, affine=False): running statistics only
     [ones("o", 4), zeros("z", 4), node("BatchNormalization", ["x", "o", "z", "m", "v"], ["y"])],
     [1, 4, 3, 3], BN_STATS, 17,
     [("bn", (4, 3, 3), {"bn": 36, "bn_channels": 4, "bn_running": 8})]),
    ("conv-then-batchnorm-affine-false-stays-two-rows",
     [CONV, ones("o", 4), zeros("z", 4),
      node("BatchNormalization", ["c", "o", "z", "m", "v"], ["y"], "/bn/BN")],
     [1, 4, 3, 3], [stub("w", [4, 4, 1, 1])] + BN_STATS, 17,
     [CONV_ROW, ("bn", (4, 3, 3), {"bn": 36, "bn_channels": 4, "bn_running": 8})]),
    ("instancenorm-affine-false", [ones("o", 4), zeros("z", 4),
                                   node("InstanceNormalization", ["x", "o", "z"], ["y"])],
     [1, 4, 3, 3], [], 17, [("instance_norm", (4, 3, 3), {"instance_norm": 36})]),
    ("groupnorm-op-affine-false-opset21",
     [ones("o", 4), zeros("z", 4),
      node("GroupNormalization", ["x", "o", "z"], ["y"], num_groups=2)],
     [1, 4, 3, 3], [], 21, [("group_norm", (4, 3, 3), {"group_norm": 36})]),
    ("groupnorm-torch-form-g2", *gn_torch(2), 17, group_norm_rows(2, True)),
    ("groupnorm-torch-form-g1-folded", *gn_torch(1, folded=True), 17, group_norm_rows(1, True)),
    ("groupnorm-torch-form-affine-false", *gn_torch(2, affine=False), 21,
     group_norm_rows(2, False)),
    # 3. LayerNorm over C, H and W together (nn.LayerNorm([C, H, W])): 2 C H W params, one row.
    ("layernorm-over-chw-axis1", [node("LayerNormalization", ["x", "s", "b"], ["y"], axis=1)],
     [1, 4, 3, 3], [stub("s", [4, 3, 3]), stub("b", [4, 3, 3])], 17,
     [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_affine": 36, "norm_params": 72,
                                 "layer_norm_rows": 1, "layer_norm_module": 36,
                                 "layer_norm_module_affine": 36})]),
    ("layernorm-over-chw-axis-3-no-affine",
     [ones("o", 36, [4, 3, 3]), zeros("z", 36, [4, 3, 3]),
      node("LayerNormalization", ["x", "o", "z"], ["y"], axis=-3)], [1, 4, 3, 3], [], 17,
     [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_rows": 1,
                                 "layer_norm_module": 36})]),
    ("layernorm-decomposed-over-chw-opset15",  # nn.LayerNorm([C, H, W]) below opset 17
     decomposed_layer_norm([1, 2, 3], affine=True), [1, 4, 3, 3],
     LN_CONSTANTS + [stub("g", [4, 3, 3]), stub("be", [4, 3, 3])], 15,
     [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_affine": 36, "norm_params": 72,
                                 "layer_norm_rows": 1, "layer_norm_module": 36,
                                 "layer_norm_module_affine": 36})]),
    ("layernorm-decomposed-over-chw-negative-axes-no-affine",
     decomposed_layer_norm([-3, -2, -1]), [1, 4, 3, 3], LN_CONSTANTS, 15,
     [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_rows": 1,
                                 "layer_norm_module": 36})]),
    # 4. A token input [1, N, D]: N tokens of width D.
    ("token-input-linear", [node("MatMul", ["x", "w"], ["m"], "/fc/MatMul"),
                            node("Add", ["b", "m"], ["y"], "/fc/Add")],
     [1, 5, 8], [stub("w", [8, 6]), stub("b", [6])], 17,
     [("to_tokens", (8, 5, 1), {}),
      ("linear", (6, 5, 1), {"row_linear_macs": 5 * 8 * 6, "weights": 48,
                             "row_linear_params": 54, "row_linear_bias": 30, "biases": 6})]),
    ("token-input-bias-and-gelu", [node("Add", ["x", "b"], ["a"]), node("Gelu", ["a"], ["y"])],
     [1, 5, 8], [stub("b", [8])], 20,
     [("to_tokens", (8, 5, 1), {}), ("bias", (8, 5, 1), {"add": 40, "bias_params": 8}),
      ("gelu", (8, 5, 1), {"act_gelu": 40})]),
    # 5. A matmul of two activations (no spec form before): Q K^T on tokens.
    ("token-input-matmul", [node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
                            node("MatMul", ["x", "t"], ["y"], "/mm/MatMul")],
     [1, 5, 8], [], 17,
     [("to_tokens", (8, 5, 1), {}), ("identity", (5, 8, 1), {}),
      ("matmul", (5, 5, 1), {"matmul_macs": 5 * 8 * 5, "matmul_function_macs": 200})]),
]


@pytest.mark.parametrize("nodes,shape,inits,opset,expected", [c[1:] for c in PARAM_CASES],
                         ids=[c[0] for c in PARAM_CASES])
def test_learned_tensors_norms_and_tokens(tmp_path, nodes, shape, inits, opset, expected):
    assert rows(model_file(tmp_path, nodes, shape, inits, opset)) == expected


def _learned_values(inits) -> int:
    """The values of the fixture's learned tensors (``stub``: dims only, data external)."""
    return sum(math.prod(t.dims) for t in inits if t.data_location == onnx.TensorProto.EXTERNAL)


ALL = [c for c in CASES + PARAM_CASES]


# Gemm's C times beta = 0 takes no part in the output: not counted (a bias that adds nothing)
UNUSED = {"gemm-beta-zero"}


@pytest.mark.parametrize("nodes,shape,inits,opset,expected",
                         [c[1:] for c in ALL if c[0] not in UNUSED],
                         ids=[c[0] for c in ALL if c[0] not in UNUSED])
def test_every_learned_value_is_counted_once(tmp_path, nodes, shape, inits, opset, expected):
    """keras counts every parameter and buffer (BN's running statistics too): its params are the
    values of the file's learned tensors, each once, on every fixture."""
    path = model_file(tmp_path, nodes, shape, inits, opset)
    assert analyze(path, "keras").total.params == _learned_values(inits)


# Fixtures with a node that has no spec form (a reshape to another shape, a channel slice of
# uneven size...): `costcalc import` names it (tests/test_onnx_import.py checks the message).
NO_SPEC_FORM = {"split-input", "pad", "mul-of-a-broadcast-constant-grows-the-map"}


@pytest.mark.parametrize("nodes,shape,inits,opset,expected",
                         [c[1:] for c in ALL if c[0] in NO_SPEC_FORM],
                         ids=[c[0] for c in ALL if c[0] in NO_SPEC_FORM])
def test_import_of_a_node_with_no_spec_form_is_one_line_naming_it(tmp_path, nodes, shape, inits,
                                                                  opset, expected):
    stderr = run("import", model_file(tmp_path, nodes, shape, inits, opset), code=2).stderr
    assert stderr.count("\n") == 1 and "has no spec form" in stderr


def _report(path_or_spec, convention):
    report = analyze(path_or_spec, convention)
    return ([(r.kind, r.macs, r.params, r.activations) for r in report.layers],
            (report.total.macs, report.total.params, report.total.activations))


@pytest.mark.parametrize("nodes,shape,inits,opset,expected",
                         [c[1:] for c in ALL if c[0] not in NO_SPEC_FORM],
                         ids=[c[0] for c in ALL if c[0] not in NO_SPEC_FORM])
def test_import_of_every_fixture_reanalyses_identically_under_every_convention(
        tmp_path, nodes, shape, inits, opset, expected):
    path = model_file(tmp_path, nodes, shape, inits, opset)
    spec = tmp_path / "spec.yaml"
    spec.write_text(run("import", path).stdout)
    for name in conventions.BUILT_IN:
        assert _report(str(spec), name) == _report(path, name), name


def test_import_writes_a_matmul_of_two_activations_as_a_parallel_merge(tmp_path):
    nodes = [node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
             node("MatMul", ["x", "t"], ["y"], "/mm/MatMul")]
    path = model_file(tmp_path, nodes, [1, 2, 3, 4])
    text = run("import", path).stdout
    assert "merge: matmul" in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    for name in conventions.BUILT_IN:
        assert _report(str(spec), name) == _report(path, name), name


def test_import_writes_a_matmul_across_branches_with_a_from_list(tmp_path):
    """Q K^T where Q and K are read elsewhere too: the flat form, `kind: matmul` reading both."""
    nodes = [node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
             node("MatMul", ["x", "t"], ["m"], "/mm/MatMul"),
             node("Relu", ["t"], ["r"], "/side/Relu")]
    graph = helper.make_graph(nodes, "two", [helper.make_tensor_value_info("x", 1, [1, 2, 3, 4])],
                              [helper.make_tensor_value_info("m", 1, None),
                               helper.make_tensor_value_info("r", 1, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "two.onnx"
    path.write_bytes(model.SerializeToString())
    text = run("import", str(path)).stdout
    assert "kind: matmul" in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    for name in conventions.BUILT_IN:
        assert _report(str(spec), name) == _report(str(path), name), name


# Each a learned tensor or a norm no layer kind counts exactly: an error naming the node.
@pytest.mark.parametrize("nodes,shape,inits,opset,message", [
    ([node("Add", ["x", "b"], ["y"], "pe")], [1, 4, 3, 3], [stub("b", [1, 4, 3, 3])], 17,
     r"Add node 'pe' \(opset 17\): Add of a learned tensor 'b' of shape \[1, 4, 3, 3\]: only "
     r"one value per channel \(4x1x1\)"),
    ([node("Mul", ["x", "g"], ["y"], "mw")], [1, 4, 3, 3], [stub("g", [3])], 17,
     r"Mul node 'mw' .*learned tensor 'g' of shape \[3\]"),
    ([ones("o", 8), node("LayerNormalization", ["x", "o", "b"], ["y"], name="ln")], [1, 8],
     [stub("b", [8])], 17, r"LayerNormalization node 'ln' .*a learned shift without a learned "
                           r"scale"),
    ([node("LayerNormalization", ["x", "s", "b"], ["y"], axis=1, name="ln")], [1, 4, 3, 3],
     [stub("s", [4]), stub("b", [4])], 17,
     r"LayerNormalization node 'ln' .*a learned 's' of shape \[4\]: the norm has 36 values"),
    ([zeros("z", 4), node("BatchNormalization", ["x", "s", "z", "m", "v"], ["y"], name="bn")],
     [1, 4, 3, 3], [stub("s", [4])] + BN_STATS, 17,
     r"BatchNormalization node 'bn' .*a learned scale without a learned shift"),
    ([node("Relu", ["x"], ["y"], name="r")], [1, 2, 3, 3, 3], [], 17,
     r"input 'x' of shape \[1, 2, 3, 3, 3\] is not a batch-1 tensor of rank 2 to 4"),
    ([node("Relu", ["x"], ["y"], name="r")], [1], [], 17,
     r"input 'x' of shape \[1\] is not a batch-1 tensor of rank 2 to 4"),
    ([node("Conv", ["x", "w"], ["y"], name="c1d")], [1, 4, 9], [stub("w", [2, 4, 3])], 17,
     r"Conv node 'c1d' \(opset 17\)"),
    ([node("Expand", ["b", "to"], ["e"]), node("Add", ["x", "e"], ["y"], "pe")], [1, 4, 3, 3],
     [stub("b", [1, 4, 1, 1]), ints("to", [1, 4, 3, 3])], 17,
     r"Add node 'pe' .*'e', computed from learned tensors by Expand: no layer kind counts"),
    ([node("Mul", ["s", "two"], ["s2"]),
      node("LayerNormalization", ["x", "s2"], ["y"], name="ln")], [1, 8],
     [stub("s", [8]), floats("two", [2.0], [])], 17,
     r"LayerNormalization node 'ln' .*'s2' is computed from learned tensors by Mul"),
    (decomposed_layer_norm([2, 3]), [1, 4, 3, 3], LN_CONSTANTS, 15,
     r"ReduceMean node '/ln/ReduceMean' \(opset 15\): a LayerNorm written as .* over axis 2, 3"),
], ids=["add-learned-map", "mul-learned-along-w", "layernorm-shift-without-scale",
        "layernorm-chw-with-a-per-channel-scale", "batchnorm-scale-without-shift",
        "rank-5-input", "rank-1-input", "conv1d-on-a-rank-3-input",
        "expand-of-a-learned-tensor", "layernorm-scale-computed-from-a-learned-one",
        "layernorm-decomposed-over-hw"])
def test_what_no_kind_counts_exactly_is_an_error_naming_the_node(tmp_path, nodes, shape, inits,
                                                                opset, message):
    path = model_file(tmp_path, nodes, shape, inits, opset)
    with pytest.raises(CostcalcError, match=message):
        analyze(path)
    assert run(path, code=2).stderr.count("\n") == 1


# The spec forms `costcalc import` writes, given what they cannot be: a located one-line error.
@pytest.mark.parametrize("layers,message", [
    ("  - {kind: identity, channels: 7}",
     r":4:5: identity 'identity0': identity to 7x4x4 \(112 elements\) is not a view of 3x4x4"),
    ("  - {kind: to_tokens}\n  - {kind: layer_norm, over: all}",
     r":5:5: layer_norm 'ln0': layer_norm over: all takes a C x H x W map, not tokens"),
    ("  - {name: a, kind: identity}\n  - {kind: matmul, from: [a]}",
     r":5:26: 'from' of a merge must be a list of two or more tensor names"),
    ("  - {name: a, kind: identity}\n  - {kind: matmul, from: [a, a, a]}",
     r":5:5: .*matmul takes two inputs, got 3"),
], ids=["identity-not-a-view", "layer-norm-over-all-on-tokens", "matmul-of-one",
        "matmul-of-three"])
def test_spec_forms_refuse_what_they_cannot_be(tmp_path, layers, message):
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"name: bad\ninput: [3, 4, 4]\nlayers:\n{layers}\n")
    result = run(str(spec), code=2)
    assert result.stderr.count("\n") == 1
    assert re.search(message, result.stderr), result.stderr
