"""The op-class quantities every node records; counting conventions weigh them into MACs and params."""
from __future__ import annotations

# Compute quantities (batch 1). A convention's MACs/FLOPs are weighted sums of these.
CONV_MACS = "conv_macs"          # k_h*k_w*(C_in/groups)*C_out*H_out*W_out per conv
CONV_BIAS = "conv_bias"          # output elements of convs that have a bias
LINEAR_MACS = "linear_macs"      # in*out per fully connected layer
LINEAR_BIAS = "linear_bias"      # outputs of linear layers that have a bias
BN = "bn"                        # elements through BatchNorm
BN_CHANNELS = "bn_channels"      # channels of BatchNorm layers
GAP_IN = "gap_in"                # elements into a global average pool
GAP_OUT = "gap_out"              # elements out of a global average pool (1 x 1 outputs only)
GAP_MODULE_IN = "gap_module_in"  # gap_in of pools run as a module (nn.AdaptiveAvgPool2d), not a
GAP_MODULE_OUT = "gap_module_out"  # functional call; module hooks (ptflops, thop) see only these
MEAN_IN = "mean_in"              # elements into a global average taken as a tensor mean
                                 # (x.mean([2, 3])): no pooling op, so only onnx-tool charges it
AVGPOOL_IN = "avgpool_in"
AVGPOOL_OUT = "avgpool_out"
AVGPOOL_WINDOW = "avgpool_window"  # k*k per output element of k x k average pools
MAXPOOL_IN = "maxpool_in"
MAXPOOL_OUT = "maxpool_out"
MAXPOOL_WINDOW = "maxpool_window"
ADD = "add"                      # elements written by residual / branch adds (per extra operand)
MUL = "mul"                      # elements scaled by squeeze-and-excite gates
ACTIVATIONS = ("relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish")


_ACT_KEYS: dict[str, str] = {}


def act(fn: str) -> str:
    """Quantity key for elements through activation ``fn`` (e.g. ``act_relu``): one string per
    activation, which every node's counts share."""
    key = _ACT_KEYS.get(fn)
    if key is None:
        key = f"act_{fn}"
        if len(_ACT_KEYS) < 1000:  # bounded: a name is whatever a caller passes
            _ACT_KEYS[fn] = key
    return key


# Parameter quantities.
WEIGHTS = "weights"              # conv and linear weights
BIASES = "biases"                # conv and linear biases
BN_AFFINE = "bn_affine"          # BatchNorm gamma and beta (2 per channel)
BN_RUNNING = "bn_running"        # BatchNorm running mean and variance (2 per channel)

COMPUTE_KEYS = (CONV_MACS, CONV_BIAS, LINEAR_MACS, LINEAR_BIAS, BN, BN_CHANNELS, GAP_IN, GAP_OUT,
                GAP_MODULE_IN, GAP_MODULE_OUT, MEAN_IN,
                AVGPOOL_IN, AVGPOOL_OUT, AVGPOOL_WINDOW, MAXPOOL_IN, MAXPOOL_OUT, MAXPOOL_WINDOW,
                ADD, MUL) + tuple(act(fn) for fn in ACTIVATIONS)
PARAM_KEYS = (WEIGHTS, BIASES, BN_AFFINE, BN_RUNNING)

# Words for the quantities in formulas and tables.
LABELS = {
    "conv_macs": "conv multiply-adds", "conv_bias": "conv output elements with a bias",
    "linear_macs": "linear multiply-adds", "linear_bias": "linear outputs with a bias",
    "bn": "BatchNorm elements", "bn_channels": "BatchNorm channels",
    "bn_affine": "BatchNorm gamma + beta (2 per channel)",
    "bn_running": "BatchNorm running mean + variance (2 per channel)",
    "gap_in": "global/adaptive average pool input elements",
    "gap_out": "global average pool output elements (1 x 1 outputs)",
    "gap_module_in": "pool input elements, pools run as modules",
    "gap_module_out": "pool output elements, pools run as modules",
    "mean_in": "global average input elements, taken as a tensor mean",
    "avgpool_in": "k x k average pool input elements", "avgpool_out": "average pool outputs",
    "avgpool_window": "average pool window reads (k^2 per output)",
    "maxpool_in": "max pool input elements", "maxpool_out": "max pool outputs",
    "maxpool_window": "max pool window reads (k^2 per output)",
    "add": "residual / branch add elements", "mul": "SE scaling elements",
    "weights": "conv and linear weights", "biases": "conv and linear biases",
}


_DECLARED: dict[str, str] = {}  # quantities kinds add: key -> "compute" or "param"
# What the built-in conventions charge for the quantities of particular kinds (the table at the
# end of this module): convention -> section -> key -> weight, section one of macs, flops, params.
CHARGES: dict[str, dict[str, dict[str, int]]] = {}
MULTIPLY_ADDS: set[str] = set()  # declared quantities that are multiply-adds (2 FLOPs each)


def declare(key: str, label_text: str, group: str = "compute", *,
            multiply_add: bool = False) -> str:
    """Add a quantity a layer kind records; returns ``key``.

    Conventions can then weigh it (user profiles accept it, ``costcalc conventions --rules``
    lists it) and tables name it with ``label_text``; a ``multiply_add`` quantity is 2 FLOPs per
    unit where a profile's MAC weights become FLOPs. The built-in kinds' quantities are the
    table below (``kind_quantity``), so that the conventions know them without importing every
    kind; a kind defined elsewhere declares its own from its module.
    """
    if group not in ("compute", "param"):
        raise ValueError(f"quantity {key!r}: group must be compute or param")
    known = _DECLARED.get(key) or ("compute" if key in COMPUTE_KEYS else
                                   "param" if key in PARAM_KEYS else None)
    if known is not None and (known != group or LABELS.get(key, label_text) != label_text):
        raise ValueError(f"quantity {key!r} already declared differently")
    if key not in COMPUTE_KEYS + PARAM_KEYS:
        _DECLARED[key] = group
    LABELS[key] = label_text
    if multiply_add:
        MULTIPLY_ADDS.add(key)
    return key


def kind_quantity(key: str, label_text: str, group: str = "compute", *,
                  macs: dict[str, int] | None = None, flops: dict[str, int] | None = None,
                  params: dict[str, int] | None = None, multiply_add: bool = False) -> str:
    """A quantity of built-in kinds (``declare``) and what each counting tool charges for it.

    ``macs``, ``flops`` and ``params`` map a built-in convention's name ("*": every one) to the
    weight it gives the quantity; a FLOP weight left out is derived from the MAC weight by the
    convention's rule (``costing.conventions``), 2 per unit for a ``multiply_add`` quantity.
    """
    declare(key, label_text, group, multiply_add=multiply_add)
    for section, table in (("macs", macs), ("flops", flops), ("params", params)):
        for convention, weight in (table or {}).items():
            CHARGES.setdefault(convention, {}).setdefault(section, {})[key] = weight
    return key


def compute_keys() -> tuple[str, ...]:
    """Every compute quantity: the built-in ones, then those the kinds declared."""
    return COMPUTE_KEYS + tuple(k for k, g in _DECLARED.items() if g == "compute")


def param_keys() -> tuple[str, ...]:
    """Every parameter quantity: the built-in ones, then those the kinds declared."""
    return PARAM_KEYS + tuple(k for k, g in _DECLARED.items() if g == "param")


def label(key: str) -> str:
    """What one unit of a recorded quantity is, in words (tables and formulas show it)."""
    if key.startswith("act_"):
        return f"{key[4:]} activation elements"
    return LABELS.get(key, key)


# ------------------------------------------------------------ quantities of particular kinds
# Each kind's module records these (its formula stays there); what each counting tool charges
# for them, measured on PyTorch models and their ONNX exports, is data here, so that the
# conventions read it without importing the kinds (a kind loads when a model first uses it).
# Grouped by kind, in the order ``costcalc conventions --rules`` lists them.

# -- conv_transpose
# Each input pixel is multiplied by the whole C_out/g x K x K kernel: fvcore, FlopCounterMode,
# ptflops (both backends) and calflops' MACs charge these input-side multiply-adds; onnx-tool
# charges them twice. thop and torchinfo charge the conv formula on the output side instead
# (C_out H_out W_out (C_in/g) K^2), which is larger by about stride^2. Measured on
# nn.ConvTranspose2d(16, 8, 2, stride=2) and (16, 8, 3, stride=2, padding=1, output_padding=1).
CONV_TRANSPOSE_MACS = kind_quantity(
    "conv_transpose_macs", "transposed conv multiply-adds (input side)",
    macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim", "fvcore",
                               "ptflops-aten", "ptflops", "flopcounter", "calflops",
                               "calflops-flops")} | {"onnx-tool": 2},
    multiply_add=True)
CONV_TRANSPOSE_OUT_MACS = kind_quantity(
    "conv_transpose_out_macs", "transposed conv multiply-adds counted on the "
    "output side", macs={"thop": 1, "torchinfo": 1}, multiply_add=True)
CONV_TRANSPOSE_BIAS = kind_quantity(
    "conv_transpose_bias", "transposed conv output elements with a bias",
    macs={"ptflops-aten": 1, "ptflops": 1, "torchinfo": 1, "onnx-tool": 1})

# -- linear
# nn.Linear on a channels-last map (ConvNeXt's MLP) or on tokens: R rows of C_in values.
# Measured on ConvNeXt's CNBlock and nn.Linear(16, 32) on 64 rows: every MAC counter charges the
# R C_in C_out multiply-adds except torchinfo, which charges the layer's parameters once
# (C_in C_out + C_out, not per row); ptflops, ptflops-aten (when the input is contiguous: an
# input straight from a permute reaches aten without its bias) and onnx-tool add the bias per
# output element.
ROW_LINEAR_MACS = kind_quantity(
    "row_linear_macs", "linear multiply-adds over rows (per position)",
    macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim",
                               "fvcore", "ptflops-aten", "ptflops", "thop",
                               "flopcounter", "calflops", "calflops-flops",
                               "onnx-tool")},
    multiply_add=True)
ROW_LINEAR_BIAS = kind_quantity(
    "row_linear_bias", "linear outputs with a bias, over rows",
    macs={"ptflops-aten": 1, "ptflops": 1, "onnx-tool": 1})
ROW_LINEAR_PARAMS = kind_quantity(
    "row_linear_params", "parameters of row-wise linear layers (torchinfo "
    "counts them once)", macs={"torchinfo": 1})

# -- layer_norm, group_norm, instance_norm: the shared affine parameters (graph/norms.py)
NORM_PARAMS = kind_quantity(
    "norm_params", "LayerNorm/GroupNorm/InstanceNorm gamma + beta "
    "(2 per channel)", "param", params={"*": 1}, macs={"torchinfo": 1})

# -- layer_norm
# Measured on torchvision's LayerNorm2d (a subclass of nn.LayerNorm that permutes around
# F.layer_norm): fvcore's norm handler charges 4 per element + 1 when affine; calflops' FLOPs
# likewise; ptflops and thop hook exact module types and see nothing; FlopCounterMode 0;
# onnx-tool's LayerNormalization 7 per element + 29 per normalised row (fitted exactly on three
# shapes: 16x8x8, 32x4x4, 8x6x6).
LAYER_NORM = kind_quantity(
    "layer_norm", "LayerNorm elements", macs={"fvcore": 4, "onnx-tool": 7},
    flops={"calflops-flops": 4})
LAYER_NORM_AFFINE = kind_quantity(
    "layer_norm_affine", "affine LayerNorm elements",
    macs={"fvcore": 1}, flops={"calflops-flops": 1})
# nn.LayerNorm itself (on a channels-last map, as in ConvNeXt's blocks, or on tokens) is seen by
# the module hooks too: ptflops 1 per element, thop 2 + 2 when affine (measured affine: 4).
LAYER_NORM_MODULE = kind_quantity(
    "layer_norm_module", "LayerNorm elements, run as nn.LayerNorm",
    macs={"ptflops": 1, "thop": 2})
LAYER_NORM_MODULE_AFFINE = kind_quantity(
    "layer_norm_module_affine", "affine LayerNorm elements, run as "
    "nn.LayerNorm", macs={"thop": 2})
LAYER_NORM_ROWS = kind_quantity(
    "layer_norm_rows", "LayerNorm rows (positions normalised)",
    macs={"onnx-tool": 29})

# -- group_norm
# Measured on nn.GroupNorm (affine): fvcore 4 per element + 1 when affine; ptflops' module hook
# 1 + 1 when affine; thop has no GroupNorm rule (0); calflops' FLOPs 4 + 1; onnx-tool 9 per
# element (its export is InstanceNormalization + Mul + Add).
GROUP_NORM = kind_quantity(
    "group_norm", "GroupNorm elements",
    macs={"fvcore": 4, "ptflops": 1, "onnx-tool": 9},
    flops={"calflops-flops": 4})
GROUP_NORM_AFFINE = kind_quantity(
    "group_norm_affine", "affine GroupNorm elements",
    macs={"fvcore": 1, "ptflops": 1}, flops={"calflops-flops": 1})

# -- instance_norm
# Measured on nn.InstanceNorm2d with and without affine: fvcore 4 + 1 when affine; ptflops
# 1 + 1; thop 2 + 2; calflops' FLOPs 4 + 1; onnx-tool 7 either way.
INSTANCE_NORM = kind_quantity(
    "instance_norm", "InstanceNorm elements",
    macs={"fvcore": 4, "ptflops": 1, "thop": 2, "onnx-tool": 7},
    flops={"calflops-flops": 4})
INSTANCE_NORM_AFFINE = kind_quantity(
    "instance_norm_affine", "affine InstanceNorm elements",
    macs={"fvcore": 1, "ptflops": 1, "thop": 2},
    flops={"calflops-flops": 1})

# -- activation
# How the model calls the activation changes what the hook- and patch-based counters see. The
# recorded act_<fn> elements are charged as for an nn.Module (torchvision's way); a call as a
# function or a tensor method adds elements under these keys, whose weights are the measured
# difference from the module on the same input (torch 2.14.1, ptflops 0.7.5, calflops 0.3.2; every
# other tool, fvcore, thop, torchinfo, FlopCounterMode and onnx-tool on the export, charges the
# three calls alike). ptflops hooks nn.ReLU and patches F.relu: a module costs it 2 per element,
# F.relu 1, torch.relu 0. calflops patches F.relu and F.relu6, but nn.ReLU6 runs F.hardtanh, so
# only the function costs it 1. Hardswish, hardsigmoid, sigmoid and SiLU: no counter tells the
# calls apart, so nothing is added.
FUNCTIONAL_RELU = kind_quantity(
    "functional_relu", "relu elements called as F.relu (no module hook)", macs={"ptflops": -1})
FUNCTIONAL_RELU6 = kind_quantity(
    "functional_relu6", "relu6 elements called as F.relu6 (patched by calflops)",
    flops={"calflops-flops": 1})
TENSOR_RELU = kind_quantity(
    "tensor_relu", "relu elements called as torch.relu or x.relu() (no patched function)",
    macs={"ptflops": -1}, flops={"calflops-flops": -1})

# -- gelu
# Measured on nn.GELU() and nn.GELU("tanh"): ptflops 2 per element (module hook + patched
# F.gelu); onnx-tool 7 (Erf form) and 84 (the tanh form's exported Pow/Tanh/Mul/Add chain) per
# element; calflops' FLOPs 1 (inside a container; a bare module makes calflops raise); fvcore,
# thop, torchinfo and FlopCounterMode 0.
ACT_GELU = kind_quantity(
    "act_gelu", "gelu activation elements", macs={"ptflops": 2, "onnx-tool": 7},
    flops={"calflops-flops": 1})
ACT_GELU_TANH = kind_quantity(
    "act_gelu_tanh", "gelu (tanh approximation) activation elements",
    macs={"ptflops": 2, "onnx-tool": 84}, flops={"calflops-flops": 1})


# F.gelu instead of nn.GELU (either form): ptflops loses the module hook and charges 1 per
# element, not 2; every other tool charges the two alike (measured as for the module above).
FUNCTIONAL_GELU = kind_quantity(
    "functional_gelu", "gelu elements called as F.gelu (no module hook)",
    macs={"ptflops": -1})

# -- tanh
# Measured on nn.Tanh() after an nn.Linear (512 and 300 features) and on a 16 x 8 x 8 map:
# onnx-tool charges its Tanh 76 per element; fvcore, ptflops (both backends), thop, torchinfo,
# FlopCounterMode and calflops (MACs and FLOPs) 0.
ACT_TANH = kind_quantity(
    "act_tanh", "tanh activation elements", macs={"onnx-tool": 76})

# -- softmax
# Measured on nn.Softmax over the last dim (D values per row, R rows): thop charges per row D
# exps, D - 1 adds and D divisions (3 per element - 1 per row); ptflops 1 per element;
# onnx-tool 36 per element; calflops' FLOPs 1 per element (inside a container); fvcore,
# torchinfo and FlopCounterMode 0.
SOFTMAX = kind_quantity(
    "softmax", "softmax elements", macs={"thop": 3, "ptflops": 1,
                                          "onnx-tool": 36},
    flops={"calflops-flops": 1})
SOFTMAX_ROWS = kind_quantity(
    "softmax_rows", "softmax rows (vectors normalised)", macs={"thop": -1})
# Called as F.softmax, thop (module hooks only) charges nothing; as x.softmax() (a tensor
# method), neither does ptflops nor calflops, which patch F.softmax. Measured on the same input
# as nn.Softmax; these keys carry the difference from the module.
FUNCTIONAL_SOFTMAX = kind_quantity(
    "functional_softmax", "softmax elements called as F.softmax (no module "
    "hook)", macs={"thop": -3})
FUNCTIONAL_SOFTMAX_ROWS = kind_quantity(
    "functional_softmax_rows", "softmax rows called as F.softmax",
    macs={"thop": 1})
TENSOR_SOFTMAX = kind_quantity(
    "tensor_softmax", "softmax elements called as x.softmax() (no patched "
    "function)", macs={"ptflops": -1}, flops={"calflops-flops": -1})

# -- avgpool
# F.avg_pool2d instead of nn.AvgPool2d: ptflops charges its input once, not twice (no hook),
# thop nothing (its 1 per output is a module hook); the other tools alike (torch 2.14.1,
# ptflops 0.7.5, thop 0.1.1).
FUNCTIONAL_AVGPOOL_IN = kind_quantity(
    "functional_avgpool_in", "average pool input elements, called as "
    "F.avg_pool2d (no module hook)", macs={"ptflops": -1})
FUNCTIONAL_AVGPOOL_OUT = kind_quantity(
    "functional_avgpool_out", "average pool outputs, called as "
    "F.avg_pool2d (no module hook)", macs={"thop": -1})

# -- maxpool
# F.max_pool2d instead of nn.MaxPool2d: ptflops (hook + patched F.max_pool2d on a module)
# charges its input once, not twice; the other tools alike (torch 2.14.1, ptflops 0.7.5).
FUNCTIONAL_MAXPOOL_IN = kind_quantity(
    "functional_maxpool_in", "max pool input elements, called as "
    "F.max_pool2d (no module hook)", macs={"ptflops": -1})

# -- upsample
# Measured on nn.Upsample(scale_factor=2) from 16x8x8: per output element fvcore charges 1
# (nearest) and 4 (bilinear), thop 1 and 11, ptflops 2 either way (module hook + patched
# F.interpolate), onnx-tool 0 and 4; calflops' FLOPs 1 per input element either way (inside a
# container); torchinfo and FlopCounterMode 0.
UPSAMPLE_NEAREST = kind_quantity(
    "upsample_nearest", "nearest upsample output elements",
    macs={"fvcore": 1, "thop": 1, "ptflops": 2})
UPSAMPLE_BILINEAR = kind_quantity(
    "upsample_bilinear", "bilinear upsample output elements",
    macs={"fvcore": 4, "thop": 11, "ptflops": 2, "onnx-tool": 4})
UPSAMPLE_IN = kind_quantity(
    "upsample_in", "upsample input elements", flops={"calflops-flops": 1})
# F.interpolate, measured the same way (a functional call after a 1x1 conv, from 16x8x8 to
# 16x16x16): no module to hook, so thop charges 0 and ptflops 1 per output element (its patched
# F.interpolate only); fvcore and onnx-tool see the same op as for the module.
UPSAMPLE_NEAREST_FUNCTIONAL = kind_quantity(
    "upsample_nearest_functional",
    "nearest F.interpolate output elements", macs={"fvcore": 1, "ptflops": 1})
UPSAMPLE_BILINEAR_FUNCTIONAL = kind_quantity(
    "upsample_bilinear_functional",
    "bilinear F.interpolate output elements",
    macs={"fvcore": 4, "ptflops": 1, "onnx-tool": 4})
# calflops charges an upsample to a given size H' x W' once per output pixel (H' W', not per
# channel), module or functional; by a scale, once per input element.
UPSAMPLE_SIZE_PIXELS = kind_quantity(
    "upsample_size_pixels", "upsample-to-size output pixels (H' W')",
    flops={"calflops-flops": 1})

# -- roi_align
# torchvision.ops.roi_align is a custom operator: FlopCounterMode, fvcore, ptflops and thop
# count nothing for it (fvcore warns and skips it). The output elements are recorded so that a
# user profile can charge them.
ROI_ALIGN_OUT = kind_quantity(
    "roi_align_out", "RoI Align output elements (proposals x C x S x S)")

# -- roi_crop
# crop_and_resize (TF) and RoIAlign (torchvision) sample bilinearly: no multiply-adds of the
# network, so no built-in convention charges them.
ROI_SAMPLES = kind_quantity(
    "roi_samples", "ROI crop output elements (bilinear samples)")

# -- matmul
# Measured on torch.matmul(y, y.transpose(-1, -2)) and on y @ y.transpose(-1, -2) after an
# nn.Linear: fvcore, ptflops-aten, FlopCounterMode and onnx-tool charge the multiply-adds of
# either; ptflops (pytorch backend) and calflops patch torch.matmul / Tensor.matmul, so they see
# the function and not the ``@`` operator; thop and torchinfo see modules only (0).
MATMUL_MACS = kind_quantity(
    "matmul_macs", "matmul multiply-adds between activations",
    macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim", "fvcore",
                               "ptflops-aten", "flopcounter", "onnx-tool")},
    multiply_add=True)
MATMUL_FUNCTION_MACS = kind_quantity(
    "matmul_function_macs", "matmul multiply-adds made by torch.matmul (not @)",
    macs={"ptflops": 1, "calflops": 1, "calflops-flops": 1}, multiply_add=True)

# -- layer_scale
# A Parameter multiplied into the branch (``self.layer_scale * x``): no module, so hook-based
# counters and fvcore charge nothing (measured on ConvNeXt's CNBlock); the ONNX export's Mul
# charges 1 per element (the ``mul`` quantity, as SE scaling).
LAYER_SCALE_PARAMS = kind_quantity(
    "layer_scale_params", "layer scale gammas (1 per channel)", "param",
    params={"*": 1})

# -- bias
# An nn.Parameter added by a functional add (``conv(x) + self.b`` after a conv without bias, a
# matmul's bias added apart from it): no module, so hook-based counters charge nothing; the
# ONNX export's Add charges 1 per element (the ``add`` quantity, as a residual add); every tool
# counts its C parameters.
BIAS_PARAMS = kind_quantity(
    "bias_params", "learned shifts added on their own (1 per channel)", "param",
    params={"*": 1})

# -- class_token
# An nn.Parameter concatenated to the tokens (torch.cat): no module and no arithmetic, so no
# tool charges it anything but its D parameters.
CLASS_TOKEN_PARAMS = kind_quantity(
    "class_token_params", "class token values (D)", "param", params={"*": 1})

# -- pos_embed
# ``x + self.pos_embedding``: an nn.Parameter added by a functional add, so only the tools that
# charge adds (onnx-tool's Add, the ``add`` quantity) charge it; every tool counts its N D
# parameters.
POS_EMBED_PARAMS = kind_quantity(
    "pos_embed_params", "position embedding values (N D)", "param",
    params={"*": 1})

# -- attention
# Measured on nn.MultiheadAttention(D, H, batch_first=True) called as torchvision's ViT calls it
# (``need_weights=False``: F.multi_head_attention_forward, F.linear projections and
# F.scaled_dot_product_attention), N = 10, D = 64, H = 4, and on torchvision's vit_b_16:
# - the projections (3 N D^2 + N D^2): every tool but thop and torchinfo, which see modules
#   and find no called leaf inside (0 for the whole attention);
# - the two matmuls (2 N^2 D): FlopCounterMode on the math backend (torchvision's ``_ops``;
#   the CPU flash kernel, the default, is not counted), ptflops' MultiheadAttention hook and
#   onnx-tool's MatMul; fvcore, ptflops-aten and calflops skip scaled_dot_product_attention;
# - biases: ptflops-aten charges each projection's bias per output; ptflops' hook charges the
#   input bias (3 N D), N D for scaling Q and N D for an output bias it always assumes, and
#   H N^2 for the softmax;
# - onnx-tool on the export: the projections and both MatMuls with their biases, Softmax 36 per
#   score (as the softmax kind), the Mul scaling Q and one more N D elementwise op.
ATTENTION_PROJ_MACS = kind_quantity(
    "attention_proj_macs", "attention projection multiply-adds (inside "
    "nn.MultiheadAttention)",
    macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim", "fvcore",
                               "ptflops-aten", "ptflops", "flopcounter", "calflops",
                               "calflops-flops", "onnx-tool")},
    multiply_add=True)
ATTENTION_MATMUL_MACS = kind_quantity(
    "attention_matmul_macs", "attention matmul multiply-adds (Q K^T and "
    "scores V, in scaled_dot_product_attention)",
    macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim",
                               "ptflops", "flopcounter", "onnx-tool")},
    multiply_add=True)
ATTENTION_QKV_BIAS = kind_quantity(
    "attention_qkv_bias", "attention input projection outputs with a bias",
    macs={"ptflops-aten": 1, "ptflops": 1, "onnx-tool": 1})
ATTENTION_OUT_BIAS = kind_quantity(
    "attention_out_bias", "attention output projection outputs with a bias",
    macs={"ptflops-aten": 1, "onnx-tool": 1})
ATTENTION_TOKEN_VALUES = kind_quantity(
    "attention_token_values", "attention token values: Q scaled, output "
    "projected (N D each)", macs={"ptflops": 1, "onnx-tool": 1})
ATTENTION_SCORES = kind_quantity(
    "attention_scores", "attention scores through the softmax (H N^2)",
    macs={"ptflops": 1, "onnx-tool": 36})


# Swin's shifted_window_attention (torchvision), measured on ShiftedWindowAttention(32, [7, 7],
# shift, heads) at 7 x 7, 9 x 9 (padded to 14 x 14) and 14 x 14, shifted or not, after an
# nn.Linear: F.linear on the module's weights, q * scale, q.matmul(k^T), + the relative position
# bias (+ the shift mask), F.softmax, .matmul(v), F.linear. fvcore, ptflops-aten,
# FlopCounterMode, calflops and onnx-tool charge the projections (on the padded tokens) and the
# matmuls (the matmul kind's quantities: ptflops and calflops see Tensor.matmul); ptflops does
# not see F.linear inside the module but charges F.softmax 1 per score; thop and torchinfo 0;
# ptflops-aten and onnx-tool add the biases; calflops' FLOPs 1 per score (F.softmax); onnx-tool
# Softmax 36 per score, Mul 1 per value of Q and Add 1 per score for the bias (and again for the
# mask).
WINDOW_ATTENTION_PROJ_MACS = kind_quantity(
    "window_attention_proj_macs", "window attention projection "
    "multiply-adds (F.linear)",
    macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim",
                               "fvcore", "ptflops-aten", "flopcounter",
                               "calflops", "calflops-flops", "onnx-tool")},
    multiply_add=True)
WINDOW_ATTENTION_BIAS = kind_quantity(
    "window_attention_bias", "window attention projection outputs with a "
    "bias (F.linear)", macs={"ptflops-aten": 1, "onnx-tool": 1})
WINDOW_ATTENTION_SCORES = kind_quantity(
    "window_attention_scores", "window attention scores through "
    "F.softmax", macs={"ptflops": 1, "onnx-tool": 36},
    flops={"calflops-flops": 1})
# The shift mask is built at every call (new_zeros over the padded grid, region labels, their
# pairwise differences per window, two masked_fill): only onnx-tool charges it, 4 per mask value
# and 1 per grid token (fitted exactly on padded grids of 14, 16 and 21 with windows of 7 and 8).
ATTENTION_MASK_VALUES = kind_quantity(
    "attention_mask_values", "shift mask values built (M^2 per padded token)",
    macs={"onnx-tool": 4})
ATTENTION_MASK_GRID = kind_quantity(
    "attention_mask_grid", "shift mask grid tokens", macs={"onnx-tool": 1})
# MaxViT's RelativePositionalMultiHeadAttention (torchvision), measured on maxvit_t at 224: the
# projections are nn.Linear modules called on the tokens (the linear kind's row quantities: thop
# and ptflops hook them, torchinfo counts their parameters once per call, ptflops-aten and ptflops
# add the biases), the two matmuls torch.einsum, which fvcore, ptflops-aten, FlopCounterMode
# and calflops' FLOPs charge and ptflops and calflops' MACs do not.
ATTENTION_EINSUM_MACS = kind_quantity(
    "attention_einsum_macs", "attention matmul multiply-adds written with "
    "torch.einsum", macs={name: 1 for name in ("paper", "torchvision", "keras",
                                                "tf-slim", "fvcore", "ptflops-aten",
                                                "flopcounter", "onnx-tool")},
    flops={"calflops-flops": 2}, multiply_add=True)
RELATIVE_POSITION_BIAS = kind_quantity(
    "relative_position_bias", "relative position bias table values "
    "((2M - 1)^2 per head)", "param", params={"*": 1})
