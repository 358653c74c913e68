"""Depthwise-separable savings: each block's cost against the standard convolution it replaces.

The notes' ratio for a depthwise K x K conv on M channels followed by a pointwise M -> N conv,
against one standard K x K conv M -> N at the same output size, is ``1/N + 1/K^2`` (for MACs
and for weights). ``block_ratio`` measures it on the built layers instead of assuming it:

- ``pair``: (depthwise + pointwise MACs) / standard-conv MACs, M = depthwise channels;
- ``block``: all the block's MACs (expansion and SE included) / the standard K x K conv from the
  block's input channels to its output channels with the depthwise stride, i.e. the single
  conv an inverted residual or bneck stands in for.

The standard conv is costed by ``graph.units.conv_unit``, the one conv formula.
"""
from __future__ import annotations

from fractions import Fraction

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Sequence

from costcalc.costing.conventions import Convention
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.core import Node
from costcalc.graph.units import conv_unit
from costcalc.records import Record


class BlockRatio(Record):
    """Measured ratios of one block and the notes' formula value."""

    _FIELDS = ("kernel", "channels", "outputs", "pair", "formula", "block")

    def __init__(self, kernel: int, channels: int, outputs: int, pair: Fraction,
                 formula: Fraction, block: Fraction):
        self.kernel = kernel
        self.channels = channels  # M of the pair: depthwise channels
        self.outputs = outputs    # N: pointwise output channels
        self.pair = pair          # (dw + pw) / standard conv, measured
        self.formula = formula    # 1/N + 1/K^2
        self.block = block        # whole block / standard conv from block input to block output

    def to_dict(self) -> dict[str, Any]:
        return {"kernel": self.kernel, "channels": self.channels, "outputs": self.outputs,
                "pair_ratio": float(self.pair), "formula": float(self.formula),
                "block_ratio": float(self.block)}


def standard_conv_macs(convention: Convention, input_shape, out: int, kernel: int,
                       stride: int) -> Any:
    """MACs of a standard K x K conv (stride s, 'same' padding) on ``input_shape`` to ``out``."""
    # a scratch graph (no size checks: the input may be symbolic): the one conv formula
    builder = GraphBuilder(symbolic=True)
    conv_unit(builder, builder.input(input_shape), "standard", out=out, kernel=kernel,
              stride=stride)
    return convention.node_macs(builder.nodes[0].counts)


def block_ratio(nodes: Sequence[Node], convention: Convention) -> BlockRatio | None:
    """Ratios for a block's nodes, or None when it has no depthwise -> pointwise pair."""
    dw = next((i for i, n in enumerate(nodes) if n.info.get("op_class") == "depthwise"), None)
    if dw is None:
        return None
    pw = next((n for n in nodes[dw + 1:] if n.info.get("op_class") == "pointwise"), None)
    if pw is None:
        return None
    depthwise = nodes[dw]
    values = (depthwise.info["kernel"], depthwise.info["in_channels"], pw.shape.c,
              depthwise.info["stride"])
    if not all(isinstance(v, int) for v in values):
        return None  # symbolic graphs have no measured ratio
    kernel, channels, outputs, stride = values
    if getattr(nodes[0].info["input"], "tokens", False):
        return None  # a block entered by tokens (MaxViT's layers): no conv stands in for it
    pair_std = standard_conv_macs(convention, depthwise.info["input"], outputs, kernel, stride)
    block_std = standard_conv_macs(convention, nodes[0].info["input"], outputs, kernel, stride)
    if not pair_std or not block_std:
        return None
    pair = convention.node_macs(depthwise.counts) + convention.node_macs(pw.counts)
    block = sum((convention.node_macs(n.counts) for n in nodes), 0)
    return BlockRatio(kernel, channels, outputs, Fraction(pair, pair_std),
                      Fraction(1, outputs) + Fraction(1, kernel * kernel),
                      Fraction(block, block_std))
