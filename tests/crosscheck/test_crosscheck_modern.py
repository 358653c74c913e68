"""Cross-check of the zoo's modern networks (ConvNeXt, EfficientNetV2, RegNet) against torch
and the counting tools.

Same set-up and skip rule as test_crosscheck.py: params = sum(p.numel()) of torchvision's
model; every profile's total against its tool, exactly.
"""
from __future__ import annotations

import pytest

from test_crosscheck import MISSING, PROFILES, RESULTS, report_numbers, run_tool  # noqa: F401

pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"missing: {', '.join(MISSING)}")

CASES = [("convnext_tiny", 224), ("convnext_tiny", 160), ("efficientnet_v2_s", 384),
         ("efficientnet_v2_s", 224), ("regnet_x_400mf", 224), ("regnet_x_400mf", 160),
         ("regnet_y_400mf", 224), ("regnet_y_400mf", 160)]


def build(model: str, res: int):
    import torch
    import torchvision

    return getattr(torchvision.models, model)().eval(), torch.randn(1, 3, res, res)


@pytest.mark.parametrize("model,res", CASES)
@pytest.mark.parametrize("profile", PROFILES)
def test_tool_matches_profile(profile, model, res):
    import costcalc
    from costcalc.costing import conventions

    rules = conventions.get(profile)
    report = costcalc.analyze(model, profile, resolution=res)
    ours = sum(rules.reported(n.counts) for n in report.graph.nodes)
    net, x = build(model, res)
    theirs, _ = run_tool(profile, net, x)
    RESULTS.setdefault((model, "-", res), {})[profile] = (theirs, ours)
    assert theirs == ours, f"{profile} {model} {res}: tool {theirs}, costcalc {ours}"


@pytest.mark.parametrize("model", sorted({m for m, _ in CASES}))
def test_params_match_torch(model):
    import costcalc

    net, _ = build(model, 224)
    report = costcalc.analyze(model, "torchvision")
    assert report.total.params == sum(p.numel() for p in net.parameters())
