"""Cross-check of the zoo's modern networks (ConvNeXt, ViT, Swin...) against torch and the tools.

Same set-up and skip rule as test_crosscheck.py: params = sum(p.numel()) of torchvision's
model; every profile's total against its tool, exactly (onnx-tool on attention: plus the
exporter's scalar arithmetic of tests/tool_artifacts.py).
"""
from __future__ import annotations

import pytest

from tool_artifacts import export_residual
from test_crosscheck import MISSING, PROFILES, RESULTS, report_numbers, run_tool  # noqa: F401

pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"missing: {', '.join(MISSING)}")

CASES = [("convnext_tiny", 224), ("convnext_tiny", 160), ("efficientnet_v2_s", 384),
         ("efficientnet_v2_s", 224), ("vit_b_16", 224), ("vit_b_16", 384), ("vit_b_32", 224),
         ("vit_b_32", 384), ("swin_t", 224), ("swin_t", 256)]
# Models whose input size is a constructor argument (the position embedding has one row per
# token): built at the resolution checked.
SIZED = ("vit_b_16", "vit_b_32")
# Models with attention, measured with autograd on (nn.MultiheadAttention's standard path).
ATTENTION = SIZED + ("swin_t",)


def build(model: str, res: int):
    import torch
    import torchvision

    sized = {"image_size": res} if model in SIZED else {}
    return getattr(torchvision.models, model)(**sized).eval(), torch.randn(1, 3, res, res)


@pytest.mark.parametrize("model,res", CASES)
@pytest.mark.parametrize("profile", PROFILES)
def test_tool_matches_profile(profile, model, res):
    import costcalc
    from costcalc.costing import conventions

    rules = conventions.get(profile)
    report = costcalc.analyze(model, profile, resolution=res)
    ours = sum(rules.reported(n.counts) for n in report.graph.nodes)
    net, x = build(model, res)
    theirs, _ = run_tool(profile, net, x, grad=model in ATTENTION)
    RESULTS.setdefault((model, "-", res), {})[profile] = (theirs, ours)
    residual = export_residual(profile, report)
    assert theirs == ours + residual, \
        f"{profile} {model} {res}: tool {theirs}, costcalc {ours} + {residual}"


@pytest.mark.parametrize("model", sorted({m for m, _ in CASES}))
def test_params_match_torch(model):
    import costcalc

    net, _ = build(model, 384 if model in SIZED else 224)
    report = costcalc.analyze(model, "torchvision", resolution=384 if model in SIZED else 224)
    assert report.total.params == sum(p.numel() for p in net.parameters())
