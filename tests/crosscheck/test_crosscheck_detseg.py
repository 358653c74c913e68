"""Cross-check of the detection and segmentation builds on MobileNet v3-Large against torch.

Same set-up and skip rule as test_crosscheck.py. Counted: the backbone and the head (for the
detectors: the feature extractor or FPN, and the SSDLite or RPN head; the ROI box head on N
random proposals), never the image transform, the anchors or the post-processing. Params:
``sum(p.numel())`` of torchvision's model (the torchvision convention; Faster R-CNN's trained
weights use FrozenBatchNorm2d, whose gamma and beta are buffers: the paper convention equals the
count without BatchNorm's parameters). MACs: FlopCounterMode / 2; fvcore and ptflops (pytorch
backend) against their conventions where they run on these modules.
"""
from __future__ import annotations

import pytest

from test_crosscheck import MISSING, RESULTS  # noqa: F401

pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"missing: {', '.join(MISSING)}")

# (zoo model, resolution, extra spec parameters)
CASES = [("ssdlite320_mobilenet_v3_large", 320, {}), ("ssdlite320_mobilenet_v3_large", 512, {}),
         ("lraspp_mobilenet_v3_large", 520, {}), ("lraspp_mobilenet_v3_large", 320, {}),
         ("deeplabv3_mobilenet_v3_large", 520, {}), ("deeplabv3_mobilenet_v3_large", 321, {}),
         ("fasterrcnn_mobilenet_v3_large_320_fpn", 320, {}),
         ("fasterrcnn_mobilenet_v3_large_320_fpn", 320, {"proposals": 150}),
         ("fasterrcnn_mobilenet_v3_large_320_fpn", 640, {"proposals": 20})]
PROFILES = ("flopcounter", "fvcore", "ptflops")


def build(model: str):
    import torchvision.models.detection as detection
    import torchvision.models.segmentation as segmentation

    if model == "deeplabv3_mobilenet_v3_large":
        return segmentation.deeplabv3_mobilenet_v3_large(weights_backbone=None, aux_loss=True)
    if model == "lraspp_mobilenet_v3_large":
        return segmentation.lraspp_mobilenet_v3_large(weights_backbone=None)
    # weights_backbone=None is how the COCO weights build them: SSDLite's reduced tail
    return getattr(detection, model)(weights_backbone=None).eval()


def counted(model: str, net, proposals: int):
    """The part of ``net`` costcalc counts, as one module (backbone + head)."""
    import torch
    from torch import nn

    class Counted(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            if model.startswith("ssdlite"):
                features = list(self.net.backbone(x).values())
                head = self.net.head(features)
                return head["bbox_regression"], head["cls_logits"]
            if model.startswith("fasterrcnn"):
                features = list(self.net.backbone(x).values())
                objectness, deltas = self.net.rpn.head(features)
                outputs = [*objectness, *deltas]
                if proposals:
                    rois = torch.zeros(proposals, 256, 7, 7)
                    outputs += list(self.net.roi_heads.box_predictor(
                        self.net.roi_heads.box_head(rois)))
                return tuple(outputs)
            return tuple(self.net(x).values())

    return Counted().eval()


@pytest.mark.parametrize("model,res,params", CASES)
@pytest.mark.parametrize("profile", PROFILES)
def test_tool_matches_profile(profile, model, res, params):
    import torch

    import costcalc
    from costcalc.costing import conventions
    from xcheck_tools import flopcounter, fvcore, ptflops

    rules = conventions.get(profile)
    report = costcalc.analyze(model, profile, resolution=res, **params)
    ours = sum(rules.reported(n.counts) for n in report.graph.nodes)
    net = counted(model, build(model).eval(), params.get("proposals", 0))
    x = torch.randn(1, 3, res, res)
    with torch.no_grad():
        if profile == "flopcounter":
            theirs, _ = flopcounter(net, x)
        elif profile == "fvcore":
            theirs, _ = fvcore(net, x)
        else:
            theirs, _ = ptflops(net, x, "pytorch")
    RESULTS.setdefault((model, "-", res), {})[profile] = (theirs, ours)
    assert theirs == ours, f"{profile} {model} {res}: tool {theirs}, costcalc {ours}"


@pytest.mark.parametrize("model", sorted({m for m, _, _ in CASES}))
def test_params_match_torch(model):
    from torch import nn

    import costcalc

    net = build(model)
    every = sum(p.numel() for p in net.parameters())
    bn = sum(p.numel() for m in net.modules() if isinstance(m, nn.BatchNorm2d)
             for p in m.parameters())
    box = {"proposals": 1} if model.startswith("fasterrcnn") else {}
    assert costcalc.analyze(model, "torchvision", **box).total.params == every
    if model.startswith("fasterrcnn"):  # FrozenBatchNorm2d in the trained model: buffers
        assert costcalc.analyze(model, "paper", **box).total.params == every - bn
