"""The layer kinds, one module each, and the index that imports a kind's module on first use.

A kind's module holds everything about it: its fields, its shape rule and recorded quantities
(the build function, whose docstring is the formula), its memory behaviour (``memory=`` in the
registration). The quantities only some kinds record, and what each counting tool charges for
them, are data in ``graph/quantities.py``, so the conventions need no kind imported. A model
loads the modules of the kinds it uses (``registry.lookup``); lists of every kind (an unknown
kind's error, the schema) load them all (``registry.load_all``), in the order below.
"""

# The kind modules, in the order ``costcalc`` lists the kinds; each registers the kind of its name.
MODULES = (
    "conv",
    "conv_transpose",
    "patch_embed",
    "dwconv",
    "pwconv",
    "linear",
    "bn",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "activation",
    "gelu",
    "tanh",
    "softmax",
    "avgpool",
    "maxpool",
    "global_avg_pool",
    "adaptive_avg_pool",
    "upsample",
    "roi_align",
    "roi_crop",
    "flatten",
    "to_tokens",
    "to_map",
    "take_token",
    "dropout",
    "identity",
    "channel_shuffle",
    "channel_split",
    "add",
    "concat",
    "multiply",
    "matmul",
    "scale",
    "layer_scale",
    "bias",
    "class_token",
    "pos_embed",
    "se",
    "attention",
    "patch_merging",
    "inverted_residual",
    "depthwise_separable",
    "residual",
    "parallel",
)

# Names that a module of another name registers: variants of one build function, and aliases.
OTHER_NAMES = {
    "bneck": "inverted_residual", "mbconv": "inverted_residual", "depthwise": "dwconv",
    "pointwise": "pwconv", "fc": "linear", "batchnorm": "bn", "act": "activation",
    "gap": "global_avg_pool", "squeeze_excite": "se", "dsconv": "depthwise_separable",
}
