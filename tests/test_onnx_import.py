"""ONNX import, one fixture per op family (built with onnx.helper, no torch), with hand-computed
counts; errors for unknown ops, symbolic inputs and files that are not ONNX."""
from __future__ import annotations

import subprocess
import sys

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from costcalc.api import analyze, load  # noqa: E402
from costcalc.errors import CostcalcError  # noqa: E402
from cli_runner import run  # noqa: E402

F = TensorProto.FLOAT


def stub(name, dims):
    """A weight with dims only: its data is external and absent (never read)."""
    tensor = TensorProto(name=name, data_type=F, dims=list(dims))
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "absent.bin"
    return tensor


def ints(name, values, dims=None):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)] if dims is None else dims,
                              values)


def floats(name, values, dims=None):
    return helper.make_tensor(name, F, [len(values)] if dims is None else dims, values)


def model_file(tmp_path, nodes, shape, inits=(), opset=15, out="y", name="m.onnx"):
    """An ONNX file with input ``x`` of ``shape`` and output ``out`` (shape left to inference)."""
    graph = helper.make_graph(nodes, "fixture", [helper.make_tensor_value_info("x", F, shape)],
                              [helper.make_tensor_value_info(out, F, None)], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return str(path)


def rows(path, **parameters):
    """(kind, output C x H x W, recorded quantities) of each imported node."""
    graph = load(path).build(load(path).resolve(parameters))
    return [(n.kind, tuple(n.shape), n.counts) for n in graph.nodes]


def conv(inputs, **attrs):
    return helper.make_node("Conv", inputs, ["y"], name="/features/features.0/Conv", **attrs)


def decomposed_layer_norm(axes, src="x", out="y", affine=False, axes_input=None):
    """nn.LayerNorm as torch writes it below opset 17: ReduceMean, Sub, Pow 2, ReduceMean,
    Add eps, Sqrt, Div (then Mul by the weight ``g`` and Add the bias ``be``)."""
    def mean(a, b, suffix=""):
        if axes_input:
            return helper.make_node("ReduceMean", [a, axes_input], [b],
                                    name=f"/ln/ReduceMean{suffix}")
        return helper.make_node("ReduceMean", [a], [b], axes=axes, name=f"/ln/ReduceMean{suffix}")

    normed = "normed" if affine else out
    nodes = [mean(src, "m"), helper.make_node("Sub", [src, "m"], ["d"], name="/ln/Sub"),
             helper.make_node("Pow", ["d", "two"], ["p"], name="/ln/Pow"), mean("p", "v", "_1"),
             helper.make_node("Add", ["v", "eps"], ["ve"], name="/ln/Add"),
             helper.make_node("Sqrt", ["ve"], ["s"], name="/ln/Sqrt"),
             helper.make_node("Div", ["d", "s"], [normed], name="/ln/Div")]
    if affine:
        nodes += [helper.make_node("Mul", [normed, "g"], ["gm"], name="/ln/Mul"),
                  helper.make_node("Add", ["gm", "be"], [out], name="/ln/Add_1")]
    return nodes


LN_CONSTANTS = [floats("two", [2.0], []), floats("eps", [1e-5], [])]


def gelu_tanh(half_first=False, power=False):
    """nn.GELU("tanh") as torch writes it below opset 20 (x * x * x, then x (1 + t) * 0.5), or
    with Pow(x, 3) and (0.5 x) (1 + t)."""
    def mul(a, b, out):
        return helper.make_node("Mul", [a, b], [out], name=f"/act/Mul_{out}")

    cube = [helper.make_node("Pow", ["x", "three"], ["cube"], name="/act/Pow")] if power else \
        [mul("x", "x", "sq"), mul("x", "sq", "cube")]
    tail = [mul("half", "x", "hx"), mul("hx", "u", "y")] if half_first else \
        [mul("x", "u", "xu"), mul("half", "xu", "y")]
    return cube + [mul("kappa", "cube", "k"),
                   helper.make_node("Add", ["x", "k"], ["inner"], name="/act/Add"),
                   mul("beta", "inner", "bi"),
                   helper.make_node("Tanh", ["bi"], ["t"], name="/act/Tanh"),
                   helper.make_node("Add", ["one", "t"], ["u"], name="/act/Add_1")] + tail


GELU_CONSTANTS = [floats("kappa", [0.044715], []), floats("beta", [0.7978845608028654], []),
                  floats("one", [1.0], []), floats("half", [0.5], []), floats("three", [3.0], [])]


def permute(src, out, to_last=True, name="perm"):
    return helper.make_node("Transpose", [src], [out], perm=[0, 2, 3, 1] if to_last else
                            [0, 3, 1, 2], name=f"/{name}/Transpose")


# LayerNorm of a channels-last C x H x W map, affine: C H W elements, H W rows, 2C params; seen
# by hook-based counters as nn.LayerNorm (the module quantities).
LN_CHANNELS_LAST = {"layer_norm": 36, "layer_norm_affine": 36, "norm_params": 8,
                    "layer_norm_rows": 9, "layer_norm_module": 36, "layer_norm_module_affine": 36}


# (id, nodes, input shape, initializers, opset, expected rows). Counts by hand:
# conv MACs = k*k*(C_in/g)*C_out*H_out*W_out, weights = k*k*(C_in/g)*C_out.
CASES = [
    ("conv-bias-pads", [conv(["x", "w", "b"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
     [1, 3, 8, 8], [stub("w", [8, 3, 3, 3]), stub("b", [8])], 15,
     [("conv", (8, 8, 8), {"conv_macs": 9 * 3 * 8 * 64, "weights": 216, "conv_bias": 512,
                           "biases": 8})]),
    ("depthwise-stride2", [conv(["x", "w"], group=8, strides=[2, 2], pads=[1, 1, 1, 1])],
     [1, 8, 8, 8], [stub("w", [8, 1, 3, 3])], 15,
     [("dwconv", (8, 4, 4), {"conv_macs": 9 * 8 * 16, "weights": 72})]),
    ("grouped", [conv(["x", "w"], group=2)], [1, 4, 5, 5], [stub("w", [6, 2, 1, 1])], 15,
     [("pwconv", (6, 5, 5), {"conv_macs": 2 * 6 * 25, "weights": 12})]),
    ("dilation", [conv(["x", "w"], dilations=[2, 2], pads=[2, 2, 2, 2])], [1, 3, 8, 8],
     [stub("w", [4, 3, 3, 3])], 15,
     [("conv", (4, 8, 8), {"conv_macs": 27 * 4 * 64, "weights": 108})]),
    ("same-upper", [conv(["x", "w"], auto_pad="SAME_UPPER", strides=[2, 2])], [1, 3, 7, 7],
     [stub("w", [4, 3, 3, 3])], 15,
     [("conv", (4, 4, 4), {"conv_macs": 27 * 4 * 16, "weights": 108})]),
    ("same-lower", [conv(["x", "w"], auto_pad="SAME_LOWER")], [1, 3, 6, 6],
     [stub("w", [4, 3, 3, 3])], 15,
     [("conv", (4, 6, 6), {"conv_macs": 27 * 4 * 36, "weights": 108})]),
    ("valid", [conv(["x", "w"], auto_pad="VALID")], [1, 3, 8, 8], [stub("w", [4, 3, 3, 3])], 15,
     [("conv", (4, 6, 6), {"conv_macs": 27 * 4 * 36, "weights": 108})]),
    ("kernel-from-weight", [conv(["x", "w"])], [1, 3, 8, 8], [stub("w", [4, 3, 1, 1])], 15,
     [("pwconv", (4, 8, 8), {"conv_macs": 3 * 4 * 64, "weights": 12})]),
    ("tf-asymmetric-same", [conv(["x", "w"], strides=[2, 2], pads=[0, 0, 1, 1])], [1, 3, 8, 8],
     [stub("w", [4, 3, 3, 3])], 15,
     [("conv", (4, 4, 4), {"conv_macs": 27 * 4 * 16, "weights": 108})]),
    ("conv-bn-relu-fused",
     [helper.make_node("Conv", ["x", "w"], ["c"], name="/stem/Conv", kernel_shape=[1, 1]),
      helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["n"], name="/stem/BN"),
      helper.make_node("Relu", ["n"], ["y"], name="/stem/Relu")],
     [1, 3, 4, 4], [stub("w", [8, 3, 1, 1])] + [stub(k, [8]) for k in ("g", "be", "m", "v")], 15,
     [("pwconv", (8, 4, 4), {"conv_macs": 3 * 8 * 16, "weights": 24, "bn": 128,
                             "bn_channels": 8, "bn_affine": 16, "bn_running": 16,
                             "act_relu": 128})]),
    ("conv-clip-bounds-after-the-conv",  # torch places Clip's Constant bounds after the Conv
     [helper.make_node("Conv", ["x", "w"], ["c"], name="/stem/Conv"),
      helper.make_node("Constant", [], ["lo"], value=floats("v0", [0.0], [])),
      helper.make_node("Constant", [], ["hi"], value_float=6.0),
      helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="/stem/Clip")],
     [1, 3, 4, 4], [stub("w", [8, 3, 1, 1])], 15,
     [("pwconv", (8, 4, 4), {"conv_macs": 3 * 8 * 16, "weights": 24, "act_relu6": 128})]),
    ("gemm-transB-bias", [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], [1, 16],
     [stub("w", [10, 16]), stub("b", [10])], 15,
     [("linear", (10, 1, 1), {"linear_macs": 160, "weights": 160, "linear_bias": 10,
                              "biases": 10})]),
    ("gemm-no-bias", [helper.make_node("Gemm", ["x", "w"], ["y"], alpha=2.0)], [1, 16],
     [stub("w", [16, 10])], 15,
     [("linear", (10, 1, 1), {"linear_macs": 160, "weights": 160})]),
    ("gemm-beta-zero", [helper.make_node("Gemm", ["x", "w", "b"], ["y"], beta=0.0)], [1, 16],
     [stub("w", [16, 10]), stub("b", [10])], 15,
     [("linear", (10, 1, 1), {"linear_macs": 160, "weights": 160})]),
    ("matmul-add-bias", [helper.make_node("MatMul", ["x", "w"], ["m"]),
                         helper.make_node("Add", ["m", "b"], ["y"])], [1, 16],
     [stub("w", [16, 10]), stub("b", [10])], 15,
     [("linear", (10, 1, 1), {"linear_macs": 160, "weights": 160, "linear_bias": 10,
                              "biases": 10})]),
    ("batchnorm", [helper.make_node("BatchNormalization", ["x", "g", "be", "m", "v"], ["y"])],
     [1, 4, 5, 5], [stub(k, [4]) for k in ("g", "be", "m", "v")], 15,
     [("bn", (4, 5, 5), {"bn": 100, "bn_channels": 4, "bn_affine": 8, "bn_running": 8})]),
    ("relu", [helper.make_node("Relu", ["x"], ["y"])], [1, 2, 3, 3], [], 15,
     [("activation", (2, 3, 3), {"act_relu": 18})]),
    ("clip-attribute-opset10", [helper.make_node("Clip", ["x"], ["y"], min=0.0, max=6.0)],
     [1, 2, 3, 3], [], 10, [("activation", (2, 3, 3), {"act_relu6": 18})]),
    ("clip-inputs", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [1, 2, 3, 3],
     [floats("lo", [0.0], []), floats("hi", [6.0], [])], 13,
     [("activation", (2, 3, 3), {"act_relu6": 18})]),
    ("hardsigmoid", [helper.make_node("HardSigmoid", ["x"], ["y"], alpha=1 / 6)], [1, 2, 3, 3],
     [], 15, [("activation", (2, 3, 3), {"act_hsigmoid": 18})]),
    ("hardswish", [helper.make_node("HardSwish", ["x"], ["y"])], [1, 2, 3, 3], [], 14,
     [("activation", (2, 3, 3), {"act_hswish": 18})]),
    ("hardswish-decomposed", [helper.make_node("HardSigmoid", ["x"], ["g"], alpha=1 / 6),
                              helper.make_node("Mul", ["x", "g"], ["y"])], [1, 2, 3, 3], [], 11,
     [("activation", (2, 3, 3), {"act_hswish": 18})]),
    ("sigmoid", [helper.make_node("Sigmoid", ["x"], ["y"])], [1, 2, 3, 3], [], 15,
     [("activation", (2, 3, 3), {"act_sigmoid": 18})]),
    ("swish", [helper.make_node("Sigmoid", ["x"], ["g"]),
               helper.make_node("Mul", ["g", "x"], ["y"])], [1, 2, 3, 3], [], 15,
     [("activation", (2, 3, 3), {"act_swish": 18})]),
    ("add-residual", [helper.make_node("Relu", ["x"], ["r"]),
                      helper.make_node("Add", ["x", "r"], ["y"])], [1, 2, 3, 3], [], 15,
     [("activation", (2, 3, 3), {"act_relu": 18}), ("add", (2, 3, 3), {"add": 18})]),
    ("sub-const", [helper.make_node("Sub", ["x", "k"], ["y"])], [1, 2, 3, 3],
     [floats("k", [1.0], [])], 15, [("bias", (2, 3, 3), {"add": 18})]),
    ("mul-gate", [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
                  helper.make_node("Sigmoid", ["p"], ["g"]),
                  helper.make_node("Mul", ["x", "g"], ["y"])], [1, 2, 3, 3], [], 15,
     [("global_avg_pool", (2, 1, 1), {"gap_in": 18, "gap_out": 2, "gap_module_in": 18,
                                      "gap_module_out": 2}),
      # a gate no squeeze-and-excite convs made: a broadcast multiply, as a spec writes it
      ("activation", (2, 1, 1), {"act_sigmoid": 2}), ("multiply", (2, 3, 3), {"mul": 18})]),
    ("div-const", [helper.make_node("Div", ["x", "k"], ["y"])], [1, 2, 3, 3],
     [floats("k", [2.0], [])], 15, [("layer_scale", (2, 3, 3), {"mul": 18})]),
    ("concat", [helper.make_node("Relu", ["x"], ["r"]),
                helper.make_node("Concat", ["x", "r"], ["y"], axis=1)], [1, 2, 3, 3], [], 15,
     [("activation", (2, 3, 3), {"act_relu": 18}), ("concat", (4, 3, 3), {})]),
    ("split-attribute-opset11", [helper.make_node("Split", ["x"], ["a", "y"], axis=1)],
     [1, 4, 3, 3], [], 11, [("channel_split", (2, 3, 3), {}), ("channel_split", (2, 3, 3), {})]),
    ("split-input", [helper.make_node("Split", ["x", "s"], ["a", "y"], axis=1)], [1, 4, 3, 3],
     [ints("s", [1, 3])], 13, [("channel_split", (1, 3, 3), {}), ("channel_split", (3, 3, 3), {})]),
    ("slice", [helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])], [1, 4, 3, 3],
     [ints("st", [1]), ints("en", [3]), ints("ax", [1])], 15,
     [("channel_split", (2, 3, 3), {})]),
    ("flatten", [helper.make_node("Flatten", ["x"], ["y"])], [1, 2, 3, 3], [], 15,
     [("flatten", (18, 1, 1), {})]),
    ("reshape-transpose-views", [helper.make_node("Reshape", ["x", "s"], ["r"]),
                                 helper.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 1])],
     [1, 2, 3, 3], [ints("s", [1, 6, 3])], 15,
     [("identity", (6, 3, 1), {}), ("identity", (3, 6, 1), {})]),
    ("flatten-transpose-to-tokens",  # x.flatten(2).transpose(1, 2): H W tokens of width C
     [helper.make_node("Reshape", ["x", "s"], ["r"]),
      helper.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 1])],
     [1, 2, 3, 3], [ints("s", [1, 2, 9])], 15, [("to_tokens", (2, 3, 3), {})]),
    ("squeeze-unsqueeze-alias", [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
                                 helper.make_node("Squeeze", ["p", "ax"], ["s"]),
                                 helper.make_node("Unsqueeze", ["s", "ax"], ["y"])],
     [1, 2, 3, 3], [ints("ax", [2, 3])], 15,
     [("global_avg_pool", (2, 1, 1), {"gap_in": 18, "gap_out": 2, "gap_module_in": 18,
                                      "gap_module_out": 2})]),
    ("view-chain-opset11",  # x.view(x.size(0), -1): Shape-Gather-Unsqueeze-Concat-Reshape
     [helper.make_node("Shape", ["x"], ["sh"]),
      helper.make_node("Gather", ["sh", "zero"], ["n"], axis=0),
      helper.make_node("Unsqueeze", ["n"], ["n1"], axes=[0]),
      helper.make_node("Concat", ["n1", "minus"], ["target"], axis=0),
      helper.make_node("Reshape", ["x", "target"], ["y"])],
     [1, 2, 3, 3], [ints("zero", [0], []), ints("minus", [-1])], 11,
     [("flatten", (18, 1, 1), {})]),
    ("constant-shape", [helper.make_node("Constant", [], ["s"], value=ints("v", [1, 18])),
                        helper.make_node("Reshape", ["x", "s"], ["y"])], [1, 2, 3, 3], [], 15,
     [("flatten", (18, 1, 1), {})]),
    ("global-average-pool", [helper.make_node("GlobalAveragePool", ["x"], ["y"])], [1, 2, 3, 3],
     [], 15, [("global_avg_pool", (2, 1, 1), {"gap_in": 18, "gap_out": 2, "gap_module_in": 18,
                                              "gap_module_out": 2})]),
    ("reducemean-attribute", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3],
                                               keepdims=0)], [1, 2, 3, 3], [], 13,
     [("global_avg_pool", (2, 1, 1), {"mean_in": 18})]),
    ("reducemean-input-opset18", [helper.make_node("ReduceMean", ["x", "ax"], ["y"])],
     [1, 2, 3, 3], [ints("ax", [-2, -1])], 18,
     [("global_avg_pool", (2, 1, 1), {"mean_in": 18})]),
    ("averagepool", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2],
                                      strides=[2, 2])], [1, 2, 4, 4], [], 15,
     [("avgpool", (2, 2, 2), {"avgpool_in": 32, "avgpool_out": 8, "avgpool_window": 32})]),
    ("maxpool-ceil", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                                       strides=[2, 2], ceil_mode=1)], [1, 2, 8, 8], [], 15,
     [("maxpool", (2, 4, 4), {"maxpool_in": 128, "maxpool_out": 32, "maxpool_window": 288})]),
    ("maxpool-floor", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                                        strides=[2, 2])], [1, 2, 8, 8], [], 15,
     [("maxpool", (2, 3, 3), {"maxpool_in": 128, "maxpool_out": 18, "maxpool_window": 162})]),
    ("pad", [helper.make_node("Pad", ["x", "p"], ["y"])], [1, 2, 3, 3],
     [ints("p", [0, 0, 1, 1, 0, 0, 1, 1])], 15, [("identity", (2, 5, 5), {})]),
    ("ssd-head-view-chain",  # view(N, A, K, H, W), permute(0, 3, 4, 1, 2), reshape(N, -1, K)
     [helper.make_node("Reshape", ["x", "s5"], ["r"], name="/head/Reshape"),
      helper.make_node("Transpose", ["r"], ["t"], perm=[0, 3, 4, 1, 2], name="/head/Transpose"),
      helper.make_node("Reshape", ["t", "s3"], ["y"], name="/head/Reshape_1")],
     [1, 12, 2, 2], [ints("s5", [1, 3, 4, 2, 2]), ints("s3", [1, -1, 4])], 17,
     [("identity", (12, 4, 1), {})]),
    ("identity-dropout", [helper.make_node("Identity", ["x"], ["i"]),
                          helper.make_node("Dropout", ["i"], ["y"])], [1, 2, 3, 3], [], 15,
     [("identity", (2, 3, 3), {}), ("dropout", (2, 3, 3), {})]),
    # Norms: C H W elements normalised (C per row for LayerNorm), 2C affine params.
    # a [1, C] vector: nn.LayerNorm (MaxViT's head), which the module hooks see too
    ("layernorm-vector", [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"])],
     [1, 8], [stub("s", [8]), stub("b", [8])], 17,
     [("layer_norm", (8, 1, 1), {"layer_norm": 8, "layer_norm_affine": 8, "norm_params": 16,
                                 "layer_norm_rows": 1, "layer_norm_module": 8,
                                 "layer_norm_module_affine": 8})]),
    ("layernorm2d-permuted",  # torchvision's LayerNorm2d: permute, F.layer_norm, permute back
     [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1], name="/ln/Transpose"),
      helper.make_node("LayerNormalization", ["t", "s", "b"], ["n"], name="/ln/LayerNorm"),
      helper.make_node("Transpose", ["n"], ["y"], perm=[0, 3, 1, 2], name="/ln/Transpose_1")],
     [1, 4, 3, 3], [stub("s", [4]), stub("b", [4])], 17,
     [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_affine": 36, "norm_params": 8,
                                 "layer_norm_rows": 9})]),
    # ONNX's scale is required, its B optional: a learned scale alone is C params
    ("layernorm-scale-no-bias", [helper.make_node("LayerNormalization", ["x", "s"], ["y"])],
     [1, 8], [stub("s", [8])], 17,
     [("layer_norm", (8, 1, 1), {"layer_norm": 8, "layer_norm_affine": 8, "norm_params": 8,
                                 "layer_norm_rows": 1, "layer_norm_module": 8,
                                 "layer_norm_module_affine": 8})]),
    ("groupnorm-opset21", [helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"],
                                            num_groups=2)],
     [1, 4, 3, 3], [stub("s", [4]), stub("b", [4])], 21,
     [("group_norm", (4, 3, 3), {"group_norm": 36, "group_norm_affine": 36,
                                 "norm_params": 8})]),
    ("groupnorm-then-conv",  # shapes after GroupNormalization (a function op) are inferred
     [helper.make_node("GroupNormalization", ["x", "s", "b"], ["g"], num_groups=2),
      helper.make_node("Conv", ["g", "w"], ["y"])],
     [1, 4, 3, 3], [stub("s", [4]), stub("b", [4]), stub("w", [2, 4, 1, 1])], 21,
     [("group_norm", (4, 3, 3), {"group_norm": 36, "group_norm_affine": 36, "norm_params": 8}),
      ("pwconv", (2, 3, 3), {"conv_macs": 4 * 2 * 9, "weights": 8})]),
    # Per-position linear (nn.Linear on a channels-last map): H W rows of C_in C_out MACs;
    # torchinfo's row_linear_params counts the weights and bias once.
    ("linear-per-position",
     [permute("x", "t"), helper.make_node("MatMul", ["t", "w"], ["m"], name="/fc/MatMul"),
      helper.make_node("Add", ["b", "m"], ["a"], name="/fc/Add"), permute("a", "y", False)],
     [1, 4, 3, 3], [stub("w", [4, 6]), stub("b", [6])], 17,
     [("linear", (6, 3, 3), {"row_linear_macs": 9 * 4 * 6, "weights": 24,
                             "row_linear_params": 30, "row_linear_bias": 9 * 6, "biases": 6})]),
    ("convnext-block",  # torchvision's CNBlock after its depthwise conv, GELU in its Erf form
     [permute("x", "t", name="block.1"),
      helper.make_node("LayerNormalization", ["t", "g", "be"], ["n"], name="/block.2/LN"),
      helper.make_node("MatMul", ["n", "w1"], ["m1"], name="/block.3/MatMul"),
      helper.make_node("Add", ["b1", "m1"], ["h"], name="/block.3/Add"),
      helper.make_node("Div", ["h", "r2"], ["d"], name="/block.4/Div"),
      helper.make_node("Erf", ["d"], ["e"], name="/block.4/Erf"),
      helper.make_node("Add", ["e", "one"], ["a"], name="/block.4/Add"),
      helper.make_node("Mul", ["h", "a"], ["hm"], name="/block.4/Mul"),
      helper.make_node("Mul", ["hm", "half"], ["gl"], name="/block.4/Mul_1"),
      helper.make_node("MatMul", ["gl", "w2"], ["m2"], name="/block.5/MatMul"),
      helper.make_node("Add", ["b2", "m2"], ["o"], name="/block.5/Add"),
      permute("o", "back", False, name="block.6"),
      helper.make_node("Mul", ["gamma", "back"], ["sc"], name="/Mul"),
      helper.make_node("Add", ["sc", "x"], ["y"], name="/Add")],
     [1, 4, 3, 3], [stub("g", [4]), stub("be", [4]), stub("w1", [4, 8]), stub("b1", [8]),
                    stub("w2", [8, 4]), stub("b2", [4]), stub("gamma", [4, 1, 1]),
                    floats("r2", [1.4142135381698608], []), floats("one", [1.0], []),
                    floats("half", [0.5], [])], 17,
     [("layer_norm", (4, 3, 3), LN_CHANNELS_LAST),
      ("linear", (8, 3, 3), {"row_linear_macs": 9 * 4 * 8, "weights": 32,
                             "row_linear_params": 40, "row_linear_bias": 72, "biases": 8}),
      ("gelu", (8, 3, 3), {"act_gelu": 72}),
      ("linear", (4, 3, 3), {"row_linear_macs": 9 * 8 * 4, "weights": 32,
                             "row_linear_params": 36, "row_linear_bias": 36, "biases": 4}),
      ("layer_scale", (4, 3, 3), {"mul": 36, "layer_scale_params": 4}),
      ("add", (4, 3, 3), {"add": 36})]),
    # Layer scale: C H W multiplies, C gammas (C x 1 x 1, or C on a channels-last map).
    ("layer-scale", [helper.make_node("Mul", ["x", "gamma"], ["y"])], [1, 4, 3, 3],
     [stub("gamma", [4, 1, 1])], 15, [("layer_scale", (4, 3, 3), {"mul": 36,
                                                                  "layer_scale_params": 4})]),
    ("layer-scale-channels-last",
     [permute("x", "t"), helper.make_node("Mul", ["t", "gamma"], ["m"]), permute("m", "y", False)],
     [1, 4, 3, 3], [stub("gamma", [4])], 15,
     [("layer_scale", (4, 3, 3), {"mul": 36, "layer_scale_params": 4})]),
    ("mul-by-a-constant-along-w-stays-element-wise",  # a Constant node: not learned
     [helper.make_node("Constant", [], ["c"], value=floats("v", [1.0, 2.0, 3.0])),
      helper.make_node("Mul", ["x", "c"], ["y"])], [1, 4, 3, 3], [],
     15, [("layer_scale", (4, 3, 3), {"mul": 36})]),
    # GELU's tanh form, and LayerNorm's ReduceMean ... Sqrt, Div form: one row each.
    ("gelu-tanh-opset17", gelu_tanh(), [1, 2, 3, 3], GELU_CONSTANTS, 17,
     [("gelu", (2, 3, 3), {"act_gelu_tanh": 18})]),
    ("gelu-tanh-pow-half-first", gelu_tanh(half_first=True, power=True), [1, 2, 3, 3],
     GELU_CONSTANTS, 15, [("gelu", (2, 3, 3), {"act_gelu_tanh": 18})]),
    ("layernorm-decomposed-vector-affine", decomposed_layer_norm([-1], affine=True), [1, 8],
     LN_CONSTANTS + [stub("g", [8]), stub("be", [8])], 15,
     [("layer_norm", (8, 1, 1), {"layer_norm": 8, "layer_norm_affine": 8, "norm_params": 16,
                                 "layer_norm_rows": 1})]),
    ("layernorm-decomposed-channels-first", decomposed_layer_norm([1]), [1, 4, 3, 3],
     LN_CONSTANTS, 15, [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_rows": 9})]),
    ("layernorm-decomposed-channels-last-axes-input-opset18",
     [permute("x", "t")] + decomposed_layer_norm(None, "t", "n", True, "ax") +
     [helper.make_node("MatMul", ["n", "w"], ["y"], name="/fc/MatMul")],
     [1, 4, 3, 3], LN_CONSTANTS + [stub("g", [4]), stub("be", [4]), ints("ax", [-1]),
                                   stub("w", [4, 2])], 18,
     [("layer_norm", (4, 3, 3), LN_CHANNELS_LAST),
      ("linear", (2, 3, 3), {"row_linear_macs": 9 * 4 * 2, "weights": 8,
                             "row_linear_params": 8})]),
    ("layernorm2d-decomposed",  # torchvision's LayerNorm2d exported below opset 17
     [permute("x", "t")] + decomposed_layer_norm([-1], "t", "n", True) + [permute("n", "y", False)],
     [1, 4, 3, 3], LN_CONSTANTS + [stub("g", [4]), stub("be", [4])], 15,
     [("layer_norm", (4, 3, 3), {"layer_norm": 36, "layer_norm_affine": 36, "norm_params": 8,
                                 "layer_norm_rows": 9})]),
    ("groupnorm-opset18-per-group",  # scale and bias per group at opsets 18-20: 2G params
     [helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
     [1, 4, 3, 3], [stub("s", [2]), stub("b", [2])], 18,
     [("group_norm", (4, 3, 3), {"group_norm": 36, "group_norm_affine": 36,
                                 "norm_params": 4})]),
    ("instancenorm", [helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"])],
     [1, 4, 3, 3], [stub("s", [4]), stub("b", [4])], 15,
     [("instance_norm", (4, 3, 3), {"instance_norm": 36, "instance_norm_affine": 36,
                                    "norm_params": 8})]),
    ("gelu", [helper.make_node("Gelu", ["x"], ["y"])], [1, 2, 3, 3], [], 20,
     [("gelu", (2, 3, 3), {"act_gelu": 18})]),
    ("gelu-erf-opset17",  # nn.GELU() exported below opset 20: x * 0.5 * (1 + erf(x / sqrt 2))
     [helper.make_node("Div", ["x", "r2"], ["d"], name="/act/Div"),
      helper.make_node("Erf", ["d"], ["e"], name="/act/Erf"),
      helper.make_node("Add", ["e", "one"], ["a"], name="/act/Add"),
      helper.make_node("Mul", ["x", "a"], ["m"], name="/act/Mul"),
      helper.make_node("Mul", ["m", "half"], ["y"], name="/act/Mul_1")],
     [1, 2, 3, 3], [floats("r2", [1.4142135381698608], []), floats("one", [1.0], []),
                    floats("half", [0.5], [])], 17,
     [("gelu", (2, 3, 3), {"act_gelu": 18})]),
    ("gelu-tanh", [helper.make_node("Gelu", ["x"], ["y"], approximate="tanh")], [1, 2, 3, 3],
     [], 20, [("gelu", (2, 3, 3), {"act_gelu_tanh": 18})]),
    # Softmax over channels: C H W elements, H W rows.
    ("softmax-channels", [helper.make_node("Softmax", ["x"], ["y"], axis=1)], [1, 4, 3, 3], [],
     15, [("softmax", (4, 3, 3), {"softmax": 36, "softmax_rows": 9})]),
    ("softmax-vector", [helper.make_node("Softmax", ["x"], ["y"])], [1, 10], [], 15,
     [("softmax", (10, 1, 1), {"softmax": 10, "softmax_rows": 1})]),
    ("softmax-opset11-default-axis", [helper.make_node("Softmax", ["x"], ["y"])], [1, 10], [], 11,
     [("softmax", (10, 1, 1), {"softmax": 10, "softmax_rows": 1})]),
    # ConvTranspose: H_out = (H - 1) s - 2p + (k - 1) + output_padding + 1; MACs on the input
    # side C_in H W (C_out/g) k^2, on the output side C_out H_out W_out (C_in/g) k^2.
    ("convtranspose-stride2-bias", [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"],
                                                     strides=[2, 2])],
     [1, 4, 3, 3], [stub("w", [4, 2, 2, 2]), stub("b", [2])], 15,
     [("conv_transpose", (2, 6, 6), {"conv_transpose_macs": 4 * 9 * 2 * 4,
                                     "conv_transpose_out_macs": 2 * 36 * 4 * 4,
                                     "weights": 32, "conv_transpose_bias": 72, "biases": 2})]),
    ("convtranspose-groups-pads-output-padding",
     [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1],
                       output_padding=[1, 1], group=2)],
     [1, 4, 3, 3], [stub("w", [4, 1, 3, 3])], 15,
     [("conv_transpose", (2, 6, 6), {"conv_transpose_macs": 4 * 9 * 1 * 9,
                                     "conv_transpose_out_macs": 2 * 36 * 2 * 9,
                                     "weights": 36})]),
    ("convtranspose-relu", [helper.make_node("ConvTranspose", ["x", "w"], ["c"]),
                            helper.make_node("Relu", ["c"], ["y"])],
     [1, 4, 3, 3], [stub("w", [4, 2, 1, 1])], 15,
     [("conv_transpose", (2, 3, 3), {"conv_transpose_macs": 4 * 9 * 2,
                                     "conv_transpose_out_macs": 2 * 9 * 4, "weights": 8,
                                     "act_relu": 18})]),
    # Resize: output elements per mode; input elements (by a scale) or output pixels (to a
    # size: calflops charges H' W' then).
    ("resize-nearest-scales", [helper.make_node("Resize", ["x", "", "sc"], ["y"])],
     [1, 2, 3, 3], [floats("sc", [1.0, 1.0, 2.0, 2.0])], 15,
     [("upsample", (2, 6, 6), {"upsample_nearest": 72, "upsample_in": 18})]),
    ("resize-linear-sizes", [helper.make_node("Resize", ["x", "", "", "sz"], ["y"],
                                              mode="linear")],
     [1, 2, 3, 3], [ints("sz", [1, 2, 5, 5])], 15,
     [("upsample", (2, 5, 5), {"upsample_bilinear": 50, "upsample_size_pixels": 25})]),
    ("resize-linear-scale-non-square", [helper.make_node("Resize", ["x", "", "sc"], ["y"],
                                                         mode="linear")],
     [1, 2, 3, 4], [floats("sc", [1.0, 1.0, 2.0, 2.0])], 15,
     [("upsample", (2, 6, 8), {"upsample_bilinear": 96, "upsample_in": 24})]),
]


@pytest.mark.parametrize("nodes,shape,inits,opset,expected",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_op_family_counts(tmp_path, nodes, shape, inits, opset, expected):
    assert rows(model_file(tmp_path, nodes, shape, inits, opset)) == expected


NEW_KINDS = ("layer_norm", "group_norm", "instance_norm", "gelu", "softmax", "conv_transpose",
             "upsample", "layer_scale", "linear")


@pytest.mark.parametrize("nodes,shape,inits,opset,expected",
                         [c[1:] for c in CASES if c[5][0][0] in NEW_KINDS],
                         ids=[c[0] for c in CASES if c[5][0][0] in NEW_KINDS])
def test_import_of_the_norm_gelu_softmax_upsampling_ops_reanalyses_identically(
        tmp_path, nodes, shape, inits, opset, expected):
    path = model_file(tmp_path, nodes, shape, inits, opset)
    spec = tmp_path / "spec.yaml"
    spec.write_text(run("import", path).stdout)
    assert rows(str(spec)) == rows(path) == expected


def test_blocks_follow_the_exporters_module_names(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="/features/features.3/conv/conv.0/Relu"),
             helper.make_node("Relu", ["a"], ["y"], name="/classifier/classifier.1/Relu")]
    graph = load(model_file(tmp_path, nodes, [1, 2, 3, 3])).build({})
    assert [(n.name, n.block, n.scope) for n in graph.nodes] == [
        ("features.3.conv.0", "features.3", "features.3.conv.0"),
        ("classifier.1", "classifier.1", "classifier.1")]


@pytest.mark.parametrize("node_name,path", [
    ("/features/features.3/conv/conv.0/Conv", ["features", "3", "conv", "0"]),
    ("/backbone/features/features.0/features.0.0/features.0.0.0/Conv",  # SSDlite's Sequentials
     ["backbone", "features", "0", "0", "0"]),
    ("/layer1/layer1.0/conv1/Conv", ["layer1", "0", "conv1"]),
    ("/encoder/layers/encoder_layer_0/ln_1/LayerNormalization",
     ["encoder", "layers", "encoder_layer_0", "ln_1"]),
    ("Conv_3", []),
])
def test_module_path_from_the_exporters_scope_names(node_name, path):
    from costcalc.importers.onnx_file import module_path

    assert module_path(node_name) == path


@pytest.mark.parametrize("path,block", [
    (["features", "3", "conv", "0"], ["features", "3"]),
    (["encoder", "layers", "encoder_layer_0", "mlp", "0"],  # ViT's numbered layers
     ["encoder", "layers", "encoder_layer_0"]),
    (["classifier"], ["classifier"]),
    (["conv_1", "bn"], ["conv_1"]),
])
def test_report_block_is_the_first_numbered_module(path, block):
    from costcalc.importers.onnx_file import _group

    assert _group(path) == block


UNKNOWN = [helper.make_node("LRN", ["x"], ["y"], name="/norm/LRN", size=3)]


def test_unknown_op_is_an_error_naming_op_node_and_opset(tmp_path):
    path = model_file(tmp_path, UNKNOWN, [1, 2, 3, 3])
    with pytest.raises(CostcalcError, match=r"LRN node '/norm/LRN' \(opset 15\).*--allow-unknown"):
        analyze(path)


def test_allow_unknown_gives_a_named_zero_row_listed_under_the_report(tmp_path):
    path = model_file(tmp_path, UNKNOWN, [1, 2, 3, 3])
    report = analyze(path, allow_unknown=True)
    assert [(r.name, r.kind, r.macs) for r in report.layers] == [("norm", "unknown", 0)]
    assert report.graph.notes == ["unknown ops counted as zero (--allow-unknown): norm (LRN)"]
    assert "norm (LRN)" in run(path, "--allow-unknown").stdout


def test_clip_with_other_bounds_is_not_a_silent_relu(tmp_path):
    nodes = [helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="c")]
    path = model_file(tmp_path, nodes, [1, 2, 3, 3],
                      [floats("lo", [-1.0], []), floats("hi", [1.0], [])])
    with pytest.raises(CostcalcError, match=r"Clip\(-1.0, 1.0\) is neither ReLU nor ReLU6"):
        analyze(path)


def test_symbolic_input_needs_input_or_res(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    path = model_file(tmp_path, nodes, ["N", 3, "H", "W"])
    with pytest.raises(CostcalcError, match=r"input 'x' has symbolic dimensions "
                                            r"1x3xHxW: give --input x:1x3xHxW \(or --res\)"):
        analyze(path)
    assert analyze(path, input="x:1x3x5x7").total.activations == 3 * 5 * 7
    assert analyze(path, res=6).total.activations == 3 * 6 * 6
    assert '"activations": 48' in run(path, "--input", "x:1x3x4x4", "--format", "json").stdout
    assert "the model's inputs: x" in run(path, "--input", "y:1x3x4x4", code=2).stderr


def test_batch_is_pinned_to_one(tmp_path):
    path = model_file(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], ["batch", 2, 3, 3])
    assert analyze(path).total.activations == 18


@pytest.mark.parametrize("content", [b"", b"not onnx at all", b"\x08\x07" * 50],
                         ids=["empty", "text", "junk"])
def test_a_file_that_is_not_onnx_gets_one_line(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    result = run(str(path), code=2)
    assert result.stderr.count("\n") == 1 and "bad.onnx" in result.stderr


def test_without_the_onnx_package_the_error_says_how_to_install(tmp_path):
    path = model_file(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], [1, 2, 3, 3])
    code = ("import sys\nsys.modules['onnx'] = None\nfrom costcalc.cli import main\n"
            f"sys.argv = ['costcalc', {path!r}]\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "error: reading ONNX files needs the onnx package: " \
                            "pip install 'costcalc[onnx]'\n"


def test_folded_batchnorm_is_noted(tmp_path):
    nodes = [conv(["x", "w", "b"])]
    path = model_file(tmp_path, nodes, [1, 3, 4, 4], [stub("w", [4, 3, 1, 1]), stub("b", [4])])
    notes = analyze(path).graph.notes
    assert len(notes) == 1 and "BatchNorm folded" in notes[0] and "features.0" in notes[0]


@pytest.mark.parametrize("norm,opset", [
    ([helper.make_node("GroupNormalization", ["c", "gs", "b2"], ["y"], num_groups=2)], 21),
    ([permute("c", "t"), helper.make_node("LayerNormalization", ["t", "gs", "b2"], ["n"]),
      permute("n", "y", False)], 17),
    ([permute("c", "t")] + decomposed_layer_norm([-1], "t", "n") + [permute("n", "y", False)],
     15),
], ids=["groupnorm", "layernorm2d", "decomposed-layernorm"])
def test_convs_with_biases_in_a_model_with_other_norms_are_not_called_folded(tmp_path, norm,
                                                                            opset):
    """ConvNeXt's convs carry biases of their own: it has LayerNorms, never had BatchNorm."""
    nodes = [conv(["x", "w", "b"])]
    nodes[0].output[0] = "c"
    path = model_file(tmp_path, nodes + norm, [1, 3, 4, 4],
                      [stub("w", [4, 3, 1, 1]), stub("b", [4]), stub("gs", [4]), stub("b2", [4])]
                      + LN_CONSTANTS, opset=opset)
    assert analyze(path).graph.notes == []


@pytest.mark.parametrize("nodes,shape,inits,message", [
    ([conv(["x", "w"], kernel_shape=[1, 3])], [1, 3, 8, 8], [stub("w", [4, 3, 1, 3])],
     r"Conv node '/features/features.0/Conv' \(opset 15\): kernel \[1, 3\].*square"),
    ([conv(["x", "w"], pads=[2, 0, 0, 0])], [1, 3, 8, 8], [stub("w", [4, 3, 3, 3])],
     r"asymmetric pads \[2, 0, 0, 0\] that are not SAME padding"),
    ([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [1, 4, 4, 8], [stub("w", [8, 2])],
     r"MatMul node 'mm' \(opset 15\): a linear layer on a 4x4x8 activation"),
    ([helper.make_node("Reshape", ["x", "s"], ["r"]),
      helper.make_node("MatMul", ["r", "r"], ["y"])],
     [1, 16], [ints("s", [1, 4, 4])],
     r"a MatMul of 4x4x1 by 4x4x1: only batches of matrices .* and tokens"),
    ([helper.make_node("Conv", ["x", "w"], ["y"], name="big", group=3)], [1, 3, 8, 8],
     [stub("w", [4, 1, 1, 1])], r"Conv node 'big' \(opset 15\): "),
], ids=["non-square-kernel", "asymmetric-pads", "per-position-linear", "matmul-activations",
        "kind-error-located"])
def test_what_cannot_be_counted_is_an_error_naming_the_node(tmp_path, nodes, shape, inits,
                                                           message):
    path = model_file(tmp_path, nodes, shape, inits)
    with pytest.raises(CostcalcError, match=message):
        analyze(path)
    assert run(path, code=2).stderr.count("\n") == 1


# Ops mapped for some attributes only: the others stay errors naming the node and the reason.
@pytest.mark.parametrize("nodes,shape,inits,opset,message", [
    ([helper.make_node("Softmax", ["x"], ["y"], name="sm")], [1, 4, 3, 3], [],
     15, r"Softmax node 'sm' \(opset 15\): Softmax over axis -1: only over the channels"),
    ([helper.make_node("LayerNormalization", ["x", "s"], ["y"], axis=2, name="ln")], [1, 4, 3, 3],
     [stub("s", [3, 3])], 17, r"LayerNormalization node 'ln' \(opset 17\): .*rank-4"),
    ([helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], name="ln")], [1, 4, 3, 3],
     [stub("s", [3]), stub("b", [3])], 17, r"LayerNormalization node 'ln' .*NHWC and back"),
    (decomposed_layer_norm([-1]), [1, 4, 3, 3], [floats("two", [2.0], []),
                                                 floats("eps", [1e-6], [])], 15,
     r"ReduceMean node '/ln/ReduceMean' \(opset 15\): a LayerNorm written as .* axis -1"),
    ([helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="cubic", name="rs")], [1, 2, 3, 3],
     [floats("sc", [1.0, 1.0, 2.0, 2.0])], 15, r"Resize node 'rs' \(opset 15\): Resize \(cubic\)"),
    ([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct", strides=[1, 2])],
     [1, 4, 3, 3], [stub("w", [4, 2, 2, 2])], 15, r"ConvTranspose node 'ct' .*strides \[1, 2\]"),
    ([helper.make_node("Div", ["x", "k"], ["d"]),
      helper.make_node("Erf", ["d"], ["y"], name="erf")],
     [1, 2, 3, 3], [floats("k", [2.0], [])], 17,
     r"Erf node 'erf' \(opset 17\): no costcalc layer kind"),
    ([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2, name="gn")],
     [1, 4, 3, 3], [stub("s", [4]), stub("b", [4])], 18,
     r"GroupNormalization node 'gn' \(opset 18\): a scale of shape \[4\]: .* one per group"),
    ([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2, name="gn")],
     [1, 4, 3, 3], [stub("s", [2]), stub("b", [2])], 21,
     r"GroupNormalization node 'gn' \(opset 21\): a scale of shape \[2\]: .* one per channel"),
], ids=["softmax-spatial", "layernorm-over-hw", "layernorm-over-w", "layernorm-decomposed-over-w",
        "resize-cubic", "convtranspose-non-square", "erf-not-in-a-gelu",
        "groupnorm-opset18-per-channel-scale", "groupnorm-opset21-per-group-scale"])
def test_partly_mapped_ops_refuse_what_their_kind_does_not_count(tmp_path, nodes, shape, inits,
                                                                 opset, message):
    path = model_file(tmp_path, nodes, shape, inits, opset)
    with pytest.raises(CostcalcError, match=message):
        analyze(path)
    assert run(path, code=2).stderr.count("\n") == 1


HOSTILE = "/[bold]x[/bold]/<b>&</b>\n$\\frac{1}{2}$|a,b\"/Relu"


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "csv", "json"])
def test_node_names_from_the_file_are_escaped(tmp_path, fmt):
    path = model_file(tmp_path, [helper.make_node("Relu", ["x"], ["y"], name=HOSTILE)],
                      [1, 2, 3, 3])
    out = run(path, "--format", fmt).stdout
    assert "<b>&</b>" not in out or fmt in ("csv", "json", "table")
    if fmt == "markdown":
        assert "\\|a,b" in out and " |a,b" not in out
    if fmt == "latex":
        assert "$\\frac" not in out


def test_import_of_a_hostile_name_is_valid_yaml_with_a_clean_name(tmp_path):
    path = model_file(tmp_path, [helper.make_node("Relu", ["x"], ["y"], name=HOSTILE)],
                      [1, 2, 3, 3])
    text = run("import", path).stdout
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert analyze(str(spec)).total == analyze(path).total
    assert "<b>" not in text and "\n$" not in text


def test_import_refuses_a_node_with_no_spec_form(tmp_path):
    path = model_file(tmp_path, [helper.make_node("Pad", ["x", "p"], ["y"], name="/p/Pad")],
                      [1, 2, 3, 3], [ints("p", [0, 0, 1, 1, 0, 0, 1, 1])])
    assert "node 'p' (Pad, output 2x5x5) has no spec form" in run("import", path,
                                                                  code=2).stderr


def test_weights_are_never_read_memory_stays_near_the_graph(tmp_path):
    """A file with 32 MB of weights inline: the import skips their bytes (peak memory grows by
    far less than the file's size)."""
    weight = helper.make_tensor("w", F, [2048, 4096, 1, 1], b"\0" * (2048 * 4096 * 4), raw=True)
    path = model_file(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"])], [1, 4096, 2, 2],
                      [weight])
    code = ("import resource, sys\nimport onnx\nfrom costcalc.api import analyze\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"total = analyze({path!r}).total\n"
            "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(total.params, (after - before) * 1024)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    params, grown = map(int, result.stdout.split())
    assert params == 2048 * 4096
    assert grown < 8 * 2**20  # the file is 32 MB


# Tokens and attention. A small ViT as torch exports one (opset 17, batch-first attention with
# packed Q, K, V split by Reshape, Transpose and Gather): 2x2 patches of a 3x4x4 input give N = 4
# tokens of width D = 8, a class token makes 5, two heads of 4.
D, N, HEADS = 8, 5, 2


def sequence_first_attention(a):
    """torchvision's nn.MultiheadAttention as torch exports it (F.multi_head_attention_forward:
    sequence first, the packed projection split by Unsqueeze, Transpose, Squeeze and Gather,
    the heads reshaped and the scale applied to Q and K), from "l" to "att"."""
    def node(op, inputs, outputs, name, **attrs):
        return helper.make_node(op, inputs, outputs, name=f"{a}/{name}", **attrs)

    nodes = [node("Transpose", ["l"], ["sf"], "Transpose", perm=[1, 0, 2]),
             node("MatMul", ["sf", "wqkv"], ["m"], "MatMul"),
             node("Add", ["bqkv", "m"], ["qkv"], "Add"),
             node("Reshape", ["qkv", "s_split"], ["r4"], "Reshape_2"),
             node("Unsqueeze", ["r4", "ax0"], ["u5"], "Unsqueeze_2"),
             node("Transpose", ["u5"], ["t5"], "Transpose_2", perm=[3, 1, 2, 0, 4]),
             node("Squeeze", ["t5", "ax_2"], ["sq"], "Squeeze")]
    for index, part in enumerate("qkv"):
        nodes += [node("Gather", ["sq", f"i{index}"], [f"{part}g"], f"Gather_{index}", axis=0),
                  node("Reshape", [f"{part}g", "s_heads_sf"], [f"{part}r"], f"Reshape_{part}"),
                  node("Transpose", [f"{part}r"], [f"{part}t"], f"Transpose_{part}",
                       perm=[1, 0, 2]),
                  node("Reshape", [f"{part}t", "s_heads_4"], [f"{part}h"], f"Reshape_{part}4")]
    nodes += [node("Mul", ["qh", "root"], ["qs"], "Mul"),
              node("Transpose", ["kh"], ["k_t"], "Transpose_6", perm=[0, 1, 3, 2]),
              node("Mul", ["k_t", "root"], ["ks"], "Mul_1"),
              node("MatMul", ["qs", "ks"], ["sc"], "MatMul_1"),
              node("Softmax", ["sc"], ["sm"], "Softmax", axis=-1),
              node("MatMul", ["sm", "vh"], ["cx"], "MatMul_2"),
              node("Transpose", ["cx"], ["co"], "Transpose_7", perm=[2, 0, 1, 3]),
              node("Reshape", ["co", "s_rows"], ["o"], "Reshape_9"),
              node("Gemm", ["o", "wo", "bo"], ["go"], "Gemm", transB=1),
              node("Reshape", ["go", "s_sf"], ["gs"], "Reshape_10"),
              node("Transpose", ["gs"], ["att"], "Transpose_8", perm=[1, 0, 2])]
    inits = [stub("wqkv", [D, 3 * D]), stub("bqkv", [3 * D]), stub("wo", [D, D]),
             stub("bo", [D]), ints("s_split", [N, 1, 3, D]), ints("ax0", [0]),
             ints("ax_2", [-2]), ints("s_heads_sf", [N, HEADS, D // HEADS]),
             ints("s_heads_4", [1, HEADS, N, D // HEADS]), floats("root", [0.5 ** 0.5], []),
             ints("s_rows", [N, D]), ints("s_sf", [N, 1, D])]
    return nodes, inits


def tiny_vit(separate_qkv=False, biases=True, sequence_first=False):
    def node(op, inputs, outputs, name, **attrs):
        return helper.make_node(op, inputs, outputs, name=name, **attrs)

    a = "/encoder/layer_0/self_attention"
    nodes = [node("Conv", ["x", "pw", "pb"], ["c"], "/conv_proj/Conv", kernel_shape=[2, 2],
                  strides=[2, 2]),
             node("Reshape", ["c", "s_flat"], ["f"], "/Reshape"),
             node("Transpose", ["f"], ["t"], "/Transpose", perm=[0, 2, 1]),
             node("Expand", ["cls", "s_cls"], ["e"], "/Expand"),
             node("Concat", ["e", "t"], ["ct"], "/Concat", axis=1),
             node("Add", ["ct", "pos"], ["p"], "/encoder/Add"),
             node("LayerNormalization", ["p", "g1", "b1"], ["l"], "/encoder/layer_0/ln_1/LN")]
    if sequence_first:
        attention, extra = sequence_first_attention(a)
        nodes += attention
    elif separate_qkv:
        for part in "qkv":
            projected = f"{part}m" if biases else f"{part}p"
            nodes.append(node("MatMul", ["l", f"w{part}"], [projected], f"{a}/{part}/MatMul"))
            if biases:
                nodes.append(node("Add", [f"b{part}", projected], [f"{part}p"], f"{a}/{part}/Add"))
            nodes += [node("Reshape", [f"{part}p", "s_heads"], [f"{part}r"], f"{a}/{part}/R"),
                      node("Transpose", [f"{part}r"], [f"{part}h"], f"{a}/{part}/T",
                           perm=[0, 2, 1, 3])]
        q, k, v = "qh", "kh", "vh"
    else:
        nodes += [node("MatMul", ["l", "wqkv"], ["m"], f"{a}/MatMul"),
                  node("Add", ["bqkv", "m"], ["qkv"], f"{a}/Add"),
                  node("Reshape", ["qkv", "s_qkv"], ["r5"], f"{a}/Reshape"),
                  node("Transpose", ["r5"], ["t5"], f"{a}/Transpose", perm=[2, 0, 3, 1, 4])]
        for index, part in enumerate("qkv"):
            nodes.append(node("Gather", ["t5", f"i{index}"], [f"{part}g"], f"{a}/Gather_{index}",
                              axis=0))
        q, k, v = "qg", "kg", "vg"
    if not sequence_first:
        nodes += [
            node("Mul", [q, "scale"], ["qs"], f"{a}/Mul"),
            node("Transpose", [k], ["kt"], f"{a}/Transpose_k", perm=[0, 1, 3, 2]),
            node("MatMul", ["qs", "kt"], ["sc"], f"{a}/MatMul_1"),
            node("Softmax", ["sc"], ["sm"], f"{a}/Softmax", axis=-1),
            node("MatMul", ["sm", v], ["cx"], f"{a}/MatMul_2"),
            node("Transpose", ["cx"], ["ct2"], f"{a}/Transpose_o", perm=[0, 2, 1, 3]),
            node("Reshape", ["ct2", "s_tokens"], ["o"], f"{a}/Reshape_o"),
            node("MatMul", ["o", "wo"], ["om" if biases else "att"], f"{a}/MatMul_o")]
        if biases:
            nodes.append(node("Add", ["bo", "om"], ["att"], f"{a}/Add_o"))
    nodes += [node("Add", ["att", "p"], ["r1"], "/encoder/layer_0/Add"),
              node("LayerNormalization", ["r1", "g2", "b2"], ["l2"], "/encoder/ln/LN"),
              node("Gather", ["l2", "i0"], ["tok"], "/Gather", axis=1),
              node("Gemm", ["tok", "wh", "bh"], ["y"], "/head/Gemm", transB=1)]
    inits = [stub("pw", [D, 3, 2, 2]), stub("pb", [D]), ints("s_flat", [1, D, N - 1]),
             stub("cls", [1, 1, D]), ints("s_cls", [1, 1, D]), stub("pos", [1, N, D]),
             stub("g1", [D]), stub("b1", [D]), stub("g2", [D]), stub("b2", [D]),
             floats("scale", [0.5], []), ints("s_tokens", [1, N, D]),
             ints("i0", [0], []), ints("i1", [1], []), ints("i2", [2], []),
             stub("wh", [10, D]), stub("bh", [10])]
    if sequence_first:
        return nodes, inits + extra
    inits.append(stub("wo", [D, D]))
    if biases:
        inits.append(stub("bo", [D]))
    if separate_qkv:
        inits += [stub(f"w{p}", [D, D]) for p in "qkv"] + [ints("s_heads", [1, N, HEADS, 4])]
        inits += [stub(f"b{p}", [D]) for p in "qkv"] if biases else []
    else:
        inits += [stub("wqkv", [D, 3 * D]), stub("bqkv", [3 * D]),
                  ints("s_qkv", [1, N, 3, HEADS, 4])]
    return nodes, inits


TINY_VIT_SPEC = """
name: tiny_vit
input: [3, 4, 4]
layers:
  - {{name: conv_proj, kind: patch_embed, out: 8, patch: 2}}
  - {{name: class_token, kind: class_token}}
  - {{name: pos_embedding, kind: pos_embed}}
  - kind: residual
    shortcut: identity
    body:
      - {{name: ln_1, kind: layer_norm}}
      - {{name: self_attention, kind: attention, heads: 2, qkv_bias: {bias}, proj_bias: {bias}}}
  - {{name: ln, kind: layer_norm}}
  - {{name: class_token_out, kind: take_token}}
  - {{name: head, kind: linear, out: 10}}
"""


@pytest.mark.parametrize("separate_qkv,biases,sequence_first",
                         [(False, True, False), (True, True, False), (True, False, False),
                          (False, True, True)],
                         ids=["packed-qkv", "separate-qkv", "no-biases", "torchvision-form"])
def test_a_small_vit_imports_as_its_spec_under_every_convention(tmp_path, separate_qkv, biases,
                                                                 sequence_first):
    from costcalc.costing import conventions

    nodes, inits = tiny_vit(separate_qkv, biases, sequence_first)
    path = model_file(tmp_path, nodes, [1, 3, 4, 4], inits, 17)
    graph = load(path).build({})
    kinds = [n.kind for n in graph.nodes]
    assert kinds == ["conv", "to_tokens", "class_token", "pos_embed", "layer_norm"] + \
        ["attention"] * 5 + ["add", "layer_norm", "take_token", "linear"]
    # attention by hand: 3 N D^2 + N^2 D + N^2 D + N D^2 multiply-adds
    attention = sum(n.counts.get("attention_proj_macs", 0) + n.counts.get(
        "attention_matmul_macs", 0) for n in graph.nodes)
    assert attention == 4 * N * D * D + 2 * N * N * D
    spec = tmp_path / "tiny_vit.yaml"
    spec.write_text(TINY_VIT_SPEC.format(bias=str(biases).lower()))
    for name in conventions.BUILT_IN:
        a, b = analyze(path, name).total, analyze(str(spec), name).total
        assert (a.macs, a.params, a.activations) == (b.macs, b.params, b.activations), name


def test_matmul_of_two_activations(tmp_path):
    """Batches of matrices [1, B, n, k] x [1, B, k, m]: B n k m multiply-adds, no params."""
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["x", "t"], ["y"], name="/mm/MatMul")]
    assert rows(model_file(tmp_path, nodes, [1, 2, 3, 4])) == [
        ("identity", (2, 4, 3), {}),
        ("matmul", (2, 3, 3), {"matmul_macs": 2 * 3 * 4 * 3, "matmul_function_macs": 72})]


def test_import_of_a_small_vit_writes_a_spec_with_the_identical_rows(tmp_path):
    nodes, inits = tiny_vit()
    path = model_file(tmp_path, nodes, [1, 3, 4, 4], inits, 17)
    spec = tmp_path / "spec.yaml"
    spec.write_text(run("import", path).stdout)
    assert "kind: attention" in spec.read_text()
    assert rows(str(spec)) == rows(path)


def test_an_attention_whose_inner_values_are_read_elsewhere_is_not_one_row(tmp_path):
    """The scores read by another node: not a whole attention; its ops alone are errors."""
    nodes, inits = tiny_vit()
    nodes.append(helper.make_node("Identity", ["sm"], ["probe"], name="/probe/Identity"))
    path = model_file(tmp_path, nodes, [1, 3, 4, 4], inits, 17)
    with pytest.raises(CostcalcError, match=r"node '/encoder/layer_0/self_attention/"):
        analyze(path)
    assert run(path, code=2).stderr.count("\n") == 1
