"""Counting conventions: named weightings of the recorded quantities into MACs, FLOPs and params."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from costcalc import counts as q
from costcalc.errors import UsageError


@dataclass(frozen=True)
class Convention:
    """MACs = sum(macs[k] * count[k]); params = sum(params[k] * count[k]); FLOPs likewise.

    ``flops`` None means FLOPs = 2 x MACs. ``classes`` overrides a model's default class count
    (TF-slim checkpoints have 1001 outputs).
    """

    name: str
    description: str
    macs: Mapping[str, Any]
    params: Mapping[str, Any]
    flops: Mapping[str, Any] | None = None
    classes: int | None = None
    notes: str = field(default="", compare=False)

    def weigh(self, counts: Mapping[str, Any], weights: Mapping[str, Any]) -> Any:
        return sum((weights[k] * counts[k] for k in weights if k in counts), 0)

    def node_macs(self, counts: Mapping[str, Any]) -> Any:
        return self.weigh(counts, self.macs)

    def node_params(self, counts: Mapping[str, Any]) -> Any:
        return self.weigh(counts, self.params)

    def node_flops(self, counts: Mapping[str, Any]) -> Any:
        if self.flops is None:
            return 2 * self.node_macs(counts)
        return self.weigh(counts, self.flops)


PAPER_MACS = {q.CONV_MACS: 1, q.LINEAR_MACS: 1}
WEIGHTS_AND_BIASES = {q.WEIGHTS: 1, q.BIASES: 1}

CONVENTIONS: dict[str, Convention] = {}


def _add(convention: Convention) -> None:
    CONVENTIONS[convention.name] = convention


_add(Convention(
    "paper", "multiply-adds of conv and linear layers (SE FCs included); params = weights + "
    "biases, BatchNorm folded away (MobileNet papers, TF-slim tables)",
    PAPER_MACS, WEIGHTS_AND_BIASES))
_add(Convention(
    "torchvision", "paper MACs; params = every nn.Parameter: weights + biases + BN gamma/beta "
    "(torchvision num_params)",
    PAPER_MACS, {**WEIGHTS_AND_BIASES, q.BN_AFFINE: 1}))
_add(Convention(
    "keras", "paper MACs; params = Keras 'Total params': weights + biases + BN gamma, beta, "
    "moving mean and variance",
    PAPER_MACS, {**WEIGHTS_AND_BIASES, q.BN_AFFINE: 1, q.BN_RUNNING: 1}))


def get(name: str) -> Convention:
    """The convention called ``name``; a UsageError listing the valid ones otherwise."""
    try:
        return CONVENTIONS[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(CONVENTIONS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown convention {name!r}{hint}; valid: "
                         f"{', '.join(CONVENTIONS)}") from None
