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


def act(fn: str) -> str:
    """Quantity key for elements through activation ``fn`` (e.g. ``act_relu``)."""
    return f"act_{fn}"


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
