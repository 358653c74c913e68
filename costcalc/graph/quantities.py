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
# What the built-in conventions charge for declared quantities: convention -> section -> key ->
# weight, section one of macs, flops, params (see ``declare``).
CHARGES: dict[str, dict[str, dict[str, int]]] = {}
MULTIPLY_ADDS: set[str] = set()  # declared quantities that are multiply-adds (2 FLOPs each)


def declare(key: str, label_text: str, group: str = "compute", *,
            macs: dict[str, int] | None = None, flops: dict[str, int] | None = None,
            params: dict[str, int] | None = None, multiply_add: bool = False) -> str:
    """Add a quantity a layer kind records (called from the kind's own module); returns ``key``.

    Conventions can then weigh it (user profiles accept it, ``costcalc conventions --rules``
    lists it) and tables name it with ``label_text``. ``macs``, ``flops`` and ``params`` map a
    built-in convention's name to the weight it gives the quantity, so that a kind states in its
    own module what each counting tool charges for it; a FLOP weight left out is derived from the
    MAC weight by the convention's rule (``costing.conventions``), 2 per unit for a
    ``multiply_add`` quantity.
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
    for section, table in (("macs", macs), ("flops", flops), ("params", params)):
        for convention, weight in (table or {}).items():  # "*": every built-in convention
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
