"""Zoo transformers (vit_b_16, vit_b_32, swin_t, maxvit_t): torchvision's published figures, an
independent recount in plain integers, and the totals the counting tools report, reproduced
exactly.

Published: torchvision/models/vision_transformer.py (pytorch/vision), ``ViT_B_16_Weights``
IMAGENET1K_V1 ``"num_params": 86567656, "_ops": 17.564`` (224), IMAGENET1K_SWAG_E2E_V1
``"num_params": 86859496, "_ops": 55.484`` (384) and ``ViT_B_32_Weights`` IMAGENET1K_V1
``"num_params": 88224232, "_ops": 4.409`` (224); ``_ops`` are GMACs (labelled GFLOPS), attention
matmuls included. vit_b_32 at 384 has no weights there: torch's ``sum(p.numel())`` and
FlopCounterMode / 2 (math backend) gave 88,297,192 and 13,043,564,544, which the recount also
gives. swin_t: torchvision/models/swin_transformer.py, ``Swin_T_Weights`` IMAGENET1K_V1
``"num_params": 28288354, "_ops": 4.491``. maxvit_t: torchvision/models/maxvit.py,
``MaxVit_T_Weights`` IMAGENET1K_V1 ``"num_params": 30919624, "_ops": 5.558``; at 448 (built with
``input_size=(448, 448)``, no weights) torch's ``sum(p.numel())`` and FlopCounterMode / 2 (math
backend) gave 30,919,624 and 22,224,506,880, and at 221 and 223 the 224 figures. Tool totals: tests/data/tool_counts.yaml
(tests/crosscheck measured them).
"""
from __future__ import annotations

from fractions import Fraction

import pytest

import costcalc


def vit_recount(patch: int, res: int, classes: int = 1000, layers: int = 12, dim: int = 768,
                mlp: int = 3072) -> tuple[int, int]:
    """(MACs, params) of torchvision's VisionTransformer counted by hand: the patch conv, the
    attention projections and matmuls, the MLP and the head are the multiply-adds; params are
    every nn.Parameter."""
    grid = res // patch
    tokens = grid * grid + 1  # the patches and the class token
    macs = 3 * patch * patch * dim * grid * grid
    params = 3 * patch * patch * dim + dim + dim + tokens * dim  # conv + bias, class, position
    attention_macs = 4 * tokens * dim * dim + 2 * tokens * tokens * dim
    attention_params = 4 * dim * dim + 4 * dim  # in_proj (3D^2 + 3D), out_proj (D^2 + D)
    mlp_macs = 2 * tokens * dim * mlp
    mlp_params = 2 * dim * mlp + mlp + dim
    norms = 2 * 2 * dim
    macs += layers * (attention_macs + mlp_macs)
    params += layers * (attention_params + mlp_params + norms)
    macs += dim * classes
    params += 2 * dim + dim * classes + classes  # final LayerNorm, head
    return macs, params


@pytest.mark.parametrize("model, patch", [("vit_b_16", 16), ("vit_b_32", 32)])
@pytest.mark.parametrize("res", [224, 384, 160, 96])
def test_vit_matches_the_independent_recount(model, patch, res):
    report = costcalc.analyze(model, "torchvision", resolution=res)
    assert (report.total.macs, report.total.params) == vit_recount(patch, res)


def swin_recount(res: int, classes: int = 1000) -> tuple[int, int]:
    """(MACs, params) of torchvision's Swin-T counted by hand: attention over 7 x 7 windows of
    the grid zero-padded to multiples of 7, the MLPs, the patch mergings, the head."""
    dims, depths, heads = (96, 192, 384, 768), (2, 2, 6, 2), (3, 6, 12, 24)
    side = res // 4
    macs = 3 * 16 * 96 * side * side
    params = 3 * 16 * 96 + 96 + 2 * 96  # patch conv + bias, its LayerNorm
    for stage, (dim, depth, head) in enumerate(zip(dims, depths, heads)):
        if stage:  # patch merging: 2 x 2 neighbours (odd sides padded), LayerNorm(4C), Linear
            prev = dims[stage - 1]
            side = (side + 1) // 2
            macs += side * side * 4 * prev * 2 * prev
            params += 2 * 4 * prev + 4 * prev * 2 * prev
        padded = -(-side // 7) * 7
        tokens, windowed = side * side, padded * padded
        attention = 4 * windowed * dim * dim + 2 * windowed * 49 * dim
        mlp = 2 * tokens * dim * 4 * dim
        macs += depth * (attention + mlp)
        params += depth * (4 * dim * dim + 4 * dim + 13 * 13 * head  # qkv, proj, bias table
                           + 2 * 2 * dim  # two LayerNorms
                           + dim * 4 * dim + 4 * dim + 4 * dim * dim + dim)  # the MLP
    macs += 768 * classes
    params += 2 * 768 + 768 * classes + classes
    return macs, params


@pytest.mark.parametrize("res", [224, 256, 160, 97])
def test_swin_t_matches_the_independent_recount(res):
    report = costcalc.analyze("swin_t", "torchvision", resolution=res)
    assert (report.total.macs, report.total.params) == swin_recount(res)


def maxvit_recount(res: int, classes: int = 1000) -> tuple[int, int]:
    """(MACs, params) of torchvision's MaxViT-T counted by hand: the stem, per layer an MBConv
    (pre-norm BN, 1x1 to 4C, depthwise 3x3, SE to C // 4, 1x1 back; a stage's first layer
    strides 2 and projects its shortcut with a 1x1 conv after an average pool), block and grid
    attention (each token attends to the 49 of its window or grid group), the MLPs, the head."""
    side = -(-res // 2)  # 3x3 stride-2 conv, padding 1
    macs = 3 * 9 * 64 * side * side + 64 * 9 * 64 * side * side
    params = 3 * 9 * 64 + 2 * 64 + 64 * 9 * 64 + 64  # conv + BN, conv + bias
    cin = 64
    for dim, depth in zip((64, 128, 256, 512), (2, 2, 5, 2)):
        for layer in range(depth):
            mid, squeeze, before = 4 * dim, dim // 4, side
            if layer == 0:
                side = -(-side // 2)
                macs += cin * dim * side * side  # shortcut 1x1 conv after the pool
                params += cin * dim + dim
            macs += cin * mid * before * before + 9 * mid * side * side  # conv_a, conv_b
            macs += 2 * mid * squeeze + mid * dim * side * side  # SE, conv_c
            params += 2 * cin + cin * mid + 2 * mid + 9 * mid + 2 * mid  # BN, conv_a, conv_b
            params += 2 * mid * squeeze + squeeze + mid + mid * dim + dim  # SE, conv_c
            tokens = side * side
            attention = 4 * tokens * dim * dim + 2 * tokens * 49 * dim
            mlp = 2 * tokens * dim * 4 * dim
            macs += 2 * (attention + mlp)  # block, then grid attention
            params += 2 * (2 * dim + 4 * dim * dim + 4 * dim + 13 * 13 * (dim // 32)  # LN, attn
                           + 2 * dim + 8 * dim * dim + 5 * dim)  # LN, MLP
            cin = dim
    macs += 512 * 512 + 512 * classes
    params += 2 * 512 + 512 * 512 + 512 + 512 * classes  # LayerNorm, Linear, Linear (no bias)
    return macs, params


@pytest.mark.parametrize("res", [224, 448, 223, 221])
def test_maxvit_t_matches_the_independent_recount(res):
    report = costcalc.analyze("maxvit_t", "torchvision", resolution=res)
    assert (report.total.macs, report.total.params) == maxvit_recount(res)


def test_maxvit_t_against_torch():
    for res in (224, 223):
        report = costcalc.analyze("maxvit_t", "torchvision", resolution=res)
        assert (report.total.macs, report.total.params) == (5_558_046_720, 30_919_624)
    report = costcalc.analyze("maxvit_t", "torchvision", resolution=448)
    assert (report.total.macs, report.total.params) == (22_224_506_880, 30_919_624)


# (model, resolution, num_params, _ops) as published
PUBLISHED = [("vit_b_16", 224, 86_567_656, "17.564"), ("vit_b_16", 384, 86_859_496, "55.484"),
             ("vit_b_32", 224, 88_224_232, "4.409"), ("swin_t", 224, 28_288_354, "4.491"),
             ("maxvit_t", 224, 30_919_624, "5.558")]


@pytest.mark.parametrize("model, res, params, ops", PUBLISHED)
def test_vit_reproduces_torchvision_published_figures(model, res, params, ops):
    report = costcalc.analyze(model, "torchvision", resolution=res)
    assert report.total.params == params
    assert round(Fraction(report.total.macs, 10**9), 3) == Fraction(ops)


def test_vit_b_32_at_384_against_torch():
    report = costcalc.analyze("vit_b_32", "torchvision", resolution=384)
    assert (report.total.macs, report.total.params) == (13_043_564_544, 88_297_192)


def test_vit_cost_is_quartic_in_rho():
    """N = (224 rho / 16)^2 + 1 tokens: attention's 2 N^2 D per block gives the rho^4 term."""
    import sympy

    from costcalc.symbolic.derive import derive

    model = derive(costcalc.load("vit_b_16"))
    rho = model.symbols["rho"]
    poly = sympy.Poly(model.macs, rho)
    assert poly.degree() == 4
    assert poly.coeff_monomial(rho**4) == 12 * 2 * 768 * 196**2
    assert model.macs.subs(rho, 1) == model.exact.total.macs == 17_563_828_224
