"""Shared unit of the normalisation kinds (layer_norm, group_norm, instance_norm): one formula.

Each norm normalises its input over some axes and, when affine, scales and shifts each channel
(2C parameters). Inference cost is not folded away as BatchNorm's is, so every convention counts
the affine parameters. The kinds record the elements they normalise (their own quantity, as the
counting tools charge each norm differently), the elements of affine ones, and the parameters.
"""
from __future__ import annotations

from typing import Any

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field

# What each counting tool charges for it: graph/quantities.py.
NORM_PARAMS = q.NORM_PARAMS
AFFINE = Field("affine", "bool", True, "learned per-channel scale and shift (2C params)")


SHIFT = Field("bias", "bool", True, "a learned shift as well as the scale when affine (false: "
              "a scale only, C params, as nn.LayerNorm(bias=False))")


def norm_counts(key: str, affine_key: str, channels: Any, elements: Any, affine: bool,
                shift: bool = True) -> dict:
    """Elements normalised (``key``), those also scaled (and shifted), and the affine params: a
    scale per channel, and a shift per channel unless ``shift`` is false (2C or C)."""
    counts = {key: elements}
    if affine:
        counts.update({affine_key: elements, NORM_PARAMS: (2 if shift else 1) * channels})
    return counts
