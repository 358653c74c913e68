"""Zoo entries of modern networks: torchvision's published figures, an independent recount in
plain integers, and the totals the counting tools report, reproduced exactly.

Published: torchvision/models/convnext.py, ConvNeXt_Tiny_Weights.IMAGENET1K_V1 meta
``"num_params": 28589128`` and ``"_ops": 4.456`` (GMACs at 224, labelled GFLOPS in the docs).
Tool totals: measured with torch 2.14.1 + torchvision 0.29.1 (``sum(p.numel())``,
FlopCounterMode / 2), fvcore 0.1.5, thop 0.1.1 and torchinfo 1.8.0 on
``torchvision.models.convnext_tiny()`` (tests/crosscheck/test_crosscheck_modern.py reruns them).
"""
from __future__ import annotations

from fractions import Fraction

import pytest

import costcalc


def convnext_recount(res: int, classes: int = 1000) -> tuple[int, int]:
    """(MACs, params) of torchvision's ConvNeXt-T counted by hand: convs, depthwise convs and
    the per-position linears are the multiply-adds; params are every nn.Parameter."""
    dims, depths = (96, 192, 384, 768), (3, 3, 9, 3)
    side = (res - 4) // 4 + 1  # 4x4 stride-4 stem, no padding
    macs = 3 * 16 * 96 * side * side
    params = 3 * 16 * 96 + 96 + 2 * 96  # stem conv + bias + LayerNorm2d
    for stage, (dim, depth) in enumerate(zip(dims, depths)):
        if stage:
            prev = dims[stage - 1]
            side = (side - 2) // 2 + 1
            macs += prev * 4 * dim * side * side
            params += 2 * prev + prev * 4 * dim + dim  # LayerNorm2d, 2x2 conv + bias
        block_macs = 49 * dim * side * side + 2 * side * side * dim * 4 * dim
        block_params = (49 * dim + dim) + 2 * dim + (dim * 4 * dim + 4 * dim) \
            + (4 * dim * dim + dim) + dim  # dw + bias, LayerNorm, fc1, fc2, layer scale
        macs += depth * block_macs
        params += depth * block_params
    macs += 768 * classes
    params += 2 * 768 + 768 * classes + classes  # head LayerNorm2d + Linear
    return macs, params


@pytest.mark.parametrize("res", [224, 160, 288, 97])
def test_convnext_tiny_matches_the_independent_recount(res):
    report = costcalc.analyze("convnext_tiny", "torchvision", resolution=res)
    assert (report.total.macs, report.total.params) == convnext_recount(res)


def test_convnext_tiny_reproduces_torchvision_published_figures():
    report = costcalc.analyze("convnext_tiny", "torchvision")
    assert report.total.params == 28_589_128
    assert round(Fraction(report.total.macs, 10**9), 3) == Fraction("4.456")


# (resolution, convention, the tool's reported total)
TOOLS = [
    (224, "flopcounter", 8_911_062_528), (160, "flopcounter", 4_547_212_800),
    (224, "fvcore", 4_470_437_376), (160, "fvcore", 2_281_213_440),
    (224, "thop", 4_464_149_760), (160, "thop", 2_278_003_968),
    (224, "torchinfo", 322_371_592), (160, "torchinfo", 177_551_368),
]


@pytest.mark.parametrize("res, convention, total", TOOLS)
def test_convnext_tiny_tool_totals(res, convention, total):
    report = costcalc.analyze("convnext_tiny", convention, resolution=res)
    rules = report.convention
    assert sum(rules.reported(n.counts) for n in report.graph.nodes) == total
    assert report.total.params == 28_589_128
