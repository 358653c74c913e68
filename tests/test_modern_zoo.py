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


def make_divisible(v: int, d: int = 8) -> int:
    new = max(d, (v + d // 2) // d * d)
    return new + d if 10 * new < 9 * v else new


def efficientnet_v2_s_recount(res: int, classes: int = 1000) -> tuple[int, int]:
    """(MACs, params) of torchvision's EfficientNetV2-S by hand (params with BN gamma/beta)."""
    macs = params = 0

    def conv(cin, cout, k, side, bias=False, bn=True):
        nonlocal macs, params
        macs += k * k * cin * cout * side * side
        params += k * k * cin * cout + (cout if bias else 0) + (2 * cout if bn else 0)

    side = (res + 1) // 2  # 3x3 stride-2 stem, padding 1
    conv(3, 24, 3, side)
    cin = 24
    stages = [("fused", 1, 1, 24, 2), ("fused", 4, 2, 48, 4), ("fused", 4, 2, 64, 4),
              ("mb", 4, 2, 128, 6), ("mb", 6, 1, 160, 9), ("mb", 6, 2, 256, 15)]
    for kind, t, stride, cout, n in stages:
        for j in range(n):
            s = stride if j == 0 else 1
            out_side = (side + 1) // 2 if s == 2 else side
            hidden = make_divisible(cin * t)
            if kind == "fused" and t == 1:
                conv(cin, cout, 3, out_side)
            elif kind == "fused":
                conv(cin, hidden, 3, out_side)
                conv(hidden, cout, 1, out_side)
            else:
                conv(cin, hidden, 1, side)  # expansion
                macs += 9 * hidden * out_side * out_side  # depthwise 3x3
                params += 9 * hidden + 2 * hidden
                squeeze = max(1, cin // 4)
                macs += 2 * hidden * squeeze
                params += 2 * hidden * squeeze + squeeze + hidden
                conv(hidden, cout, 1, out_side)
            cin, side = cout, out_side
    conv(cin, 1280, 1, side)
    macs += 1280 * classes
    params += 1280 * classes + classes
    return macs, params


@pytest.mark.parametrize("res", [384, 224, 300])
def test_efficientnet_v2_s_matches_the_independent_recount(res):
    report = costcalc.analyze("efficientnet_v2_s", "torchvision", resolution=res)
    assert (report.total.macs, report.total.params) == efficientnet_v2_s_recount(res)


def test_efficientnet_v2_s_reproduces_torchvision_published_figures():
    """torchvision/models/efficientnet.py, EfficientNet_V2_S_Weights.IMAGENET1K_V1 meta:
    ``"num_params": 21458488``, ``"_ops": 8.366`` (at its 384 crop)."""
    report = costcalc.analyze("efficientnet_v2_s", "torchvision")
    assert report.total.params == 21_458_488
    assert round(Fraction(report.total.macs, 10**9), 3) == Fraction("8.366")


@pytest.mark.parametrize("res, flops", [(384, 16_731_234_304), (224, 5_699_791_744)])
def test_efficientnet_v2_s_flopcounter_total(res, flops):
    """FlopCounterMode on torchvision.models.efficientnet_v2_s() (torch 2.14.1)."""
    report = costcalc.analyze("efficientnet_v2_s", "flopcounter", resolution=res)
    assert report.flops() == flops


# Each tool on torchvision.models.efficientnet_v2_s() (tests/crosscheck/test_crosscheck_modern.py;
# tool versions in tests/crosscheck/README.md). ptflops and calflops charge nn.SiLU 1 per element.
EFFV2_TOOLS = [
    (384, "fvcore", 8_446_985_216), (224, "fvcore", 2_877_583_616),
    (384, "ptflops-aten", 8_365_653_344), (224, "ptflops-aten", 2_849_932_064),
    (384, "torchinfo", 8_365_807_216), (224, "torchinfo", 2_850_085_936),
    (384, "calflops", 8_365_617_152), (224, "calflops", 2_849_895_872),
    (384, "calflops-flops", 16_844_185_392), (224, "calflops-flops", 5_738_250_672),
    (384, "thop", 8_518_481_088), (224, "thop", 2_901_935_168),
    (384, "ptflops", 8_488_476_440), (224, "ptflops", 2_891_727_000),
]


@pytest.mark.parametrize("res, convention, total", EFFV2_TOOLS)
def test_efficientnet_v2_s_tool_totals(res, convention, total):
    report = costcalc.analyze("efficientnet_v2_s", convention, resolution=res)
    assert sum(report.convention.reported(n.counts) for n in report.graph.nodes) == total
