"""The layer kinds, one module each; importing this package registers them all.

A kind's module holds everything about it: its fields, its shape rule and recorded quantities
(the build function, whose docstring is the formula), its memory behaviour (``memory=`` in the
registration) and any quantity it introduces (``quantities.declare``). Registration is explicit:
the modules are listed here, in the order ``costcalc`` lists the kinds.
"""
from costcalc.graph.kinds import (  # noqa: F401
    conv,
    conv_transpose,
    dwconv,
    pwconv,
    linear,
    bn,
    layer_norm,
    group_norm,
    instance_norm,
    activation,
    gelu,
    softmax,
    avgpool,
    maxpool,
    global_avg_pool,
    adaptive_avg_pool,
    upsample,
    roi_align,
    roi_crop,
    flatten,
    dropout,
    identity,
    channel_shuffle,
    channel_split,
    add,
    concat,
    multiply,
    scale,
    layer_scale,
    se,
    inverted_residual,
    depthwise_separable,
    residual,
    parallel,
)
