"""ConvNeXt-T and EfficientNetV2-S recounted independently in plain integers, as torchvision
builds them, against the zoo specs. Their published figures are in
tests/test_reference_models.py and the counting tools' totals in tests/data/tool_counts.yaml
(checked for every profile by tests/test_conventions.py).
"""
from __future__ import annotations

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
