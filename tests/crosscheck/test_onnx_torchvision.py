"""Cross-check of the ONNX importer: torchvision models exported by torch, imported by costcalc,
against PyTorch's own counts and the counting tools on the same model or file.

Optional, like test_crosscheck.py (skipped without torch, torchvision, onnx and the tools).
vit_b_16's attention is counted by FlopCounterMode on the math backend with the fused fast
path off (the fused kernels hide the projections and matmuls), as from_torch exports it.
"""
from __future__ import annotations

import importlib.util
import math
import os
import tempfile

import pytest

from tool_artifacts import export_residual

NEEDED = ("torch", "torchvision", "onnx", "onnx_tool", "fvcore", "ptflops")
MISSING = [name for name in NEEDED if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason="the ONNX cross-check needs "
                                f"{', '.join(NEEDED)}; missing: {', '.join(MISSING)}")

MODELS = ("mobilenet_v2", "mobilenet_v3_large", "resnet18", "efficientnet_b0", "convnext_tiny",
          "lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
          "ssdlite320_mobilenet_v3_large", "fasterrcnn_mobilenet_v3_large_320_fpn", "vit_b_16",
          "swin_t", "maxvit_t")
# Input side per model (224 unless named): the detectors' backbone and head at their 320.
SIDE = {"ssdlite320_mobilenet_v3_large": 320, "fasterrcnn_mobilenet_v3_large_320_fpn": 320}


@pytest.fixture(scope="module")
def tools():
    import xcheck_tools

    return xcheck_tools


def _model(name):
    import torch
    import torchvision
    from torchvision.models import detection, segmentation

    if name == "ssdlite320_mobilenet_v3_large":
        class BackboneHead(torch.nn.Module):
            """SSDlite's backbone and head: the network, without anchors and post-processing."""

            def __init__(self, ssd):
                super().__init__()
                self.backbone, self.head = ssd.backbone, ssd.head

            def forward(self, x):
                out = self.head(list(self.backbone(x).values()))
                return out["bbox_regression"], out["cls_logits"]

        return BackboneHead(detection.ssdlite320_mobilenet_v3_large(
            weights=None, weights_backbone=None)).eval()
    if name == "fasterrcnn_mobilenet_v3_large_320_fpn":
        class BackboneRPN(torch.nn.Module):
            """The backbone with its FPN and the RPN head, run on the three levels with one set
            of weights (no transform, anchors, proposals or box head)."""

            def __init__(self, rcnn):
                super().__init__()
                self.backbone, self.head = rcnn.backbone, rcnn.rpn.head

            def forward(self, x):
                objectness, deltas = self.head(list(self.backbone(x).values()))
                return (*objectness, *deltas)

        return BackboneRPN(detection.fasterrcnn_mobilenet_v3_large_320_fpn(
            weights=None, weights_backbone=None)).eval()
    if name in ("lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"):
        class Out(torch.nn.Module):
            """The segmentation model's outputs (a dict output does not export)."""

            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, x):
                return tuple(self.model(x).values())

        extra = {"aux_loss": True} if name.startswith("deeplabv3") else {}
        return Out(getattr(segmentation, name)(weights=None, weights_backbone=None,
                                               **extra)).eval()
    return getattr(torchvision.models, name)().eval()


def _shape(name):
    side = SIDE.get(name, 224)
    return (1, 3, side, side)


@pytest.mark.parametrize("name", MODELS)
def test_from_torch_gives_pytorchs_params_and_flop_counter_macs(name):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import costcalc

    from torch.nn.attention import SDPBackend, sdpa_kernel

    model = _model(name)
    x = torch.zeros(_shape(name))
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter, \
                torch.no_grad():
            model(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    report = costcalc.from_torch(model, _shape(name), "torchvision")
    assert report.total.params == sum(p.numel() for p in model.parameters())
    assert 2 * report.total.macs == counter.get_total_flops()


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("profile", ["fvcore", "ptflops-aten"])
def test_tool_profiles_on_imported_models(tools, name, profile):
    import torch

    import costcalc

    model = _model(name)
    x = torch.zeros(_shape(name))
    tool = tools.fvcore(model, x)[0] if profile == "fvcore" else \
        tools.ptflops(model, x, "aten")[0]
    report = costcalc.from_torch(model, _shape(name), profile)
    # plus fvcore's rounding of each torch.einsum's count (MaxViT's attention)
    assert report.total.macs + export_residual(profile, report) == tool


@pytest.mark.parametrize("name", MODELS)
def test_onnx_tool_profile_reproduces_onnx_tool_on_the_same_file(tools, name):
    import onnx_tool as ot
    import torch

    import costcalc

    model = _model(name)
    # Distinct values in every tensor (folded BN, the SE convs' zero-initialised biases,
    # ConvNeXt's LayerNorm ones and layer scales): the exporter shares equal initializers, and
    # onnx-tool counts a shared one once.
    tools.randomise_bn(model)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)  # attention as its primitive ops
        with tools.quiet():
            torch.onnx.export(model, (torch.zeros(_shape(name)),), path, opset_version=17,
                              dynamo=False, training=torch.onnx.TrainingMode.EVAL)
            loaded = ot.loadmodel(path, {"verbose": False})
            loaded.graph.graph_reorder_nodes()
            loaded.graph.shape_infer(None)
            loaded.graph.profile(exclude_ops=ot.NoMacsOps)
        torch.backends.mha.set_fastpath_enabled(fastpath)
        report = costcalc.analyze(path, "onnx-tool")
    # plus what onnx-tool charges the exporter's arithmetic on shape scalars (attention's head
    # split and scale, ViT's input check), which costcalc folds as shape computations, and
    # what the file holds in another form than the architecture (file_residual)
    macs, params = file_residual(report)
    assert (report.total.macs + export_residual("onnx-tool", report) + macs,
            report.total.params + params) == \
        (int(round(loaded.graph.macs[0])), int(loaded.graph.params))
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    # the note needs every BatchNorm folded and no other norm (ConvNeXt's, MaxViT's LayerNorms)
    expected = has_bn and not any(n.kind in ("bn", "layer_norm") for n in report.graph.nodes)
    assert ("BatchNorm folded" in " ".join(report.graph.notes)) == expected


def file_residual(report) -> tuple[int, int]:
    """onnx-tool's MACs and params on the default (folded) export minus costcalc's onnx-tool
    profile, for what the file holds in another form than the architecture costcalc counts:

    - a BatchNormalization the exporter could not fold into a conv (MaxViT's pre-norm, after an
      add or read with a shortcut) stays an op, which onnx-tool charges 31 per element and 4 C
      parameters; the ``bn`` kind counts it as folded (1 per element, C bias values): 30 per
      element and 3 C more;
    - the relative position bias gathered from its (2M - 1)^2 H table (Swin, MaxViT) is folded
      into a constant of H M^4 values, which onnx-tool counts as parameters; costcalc counts the
      table (and says so under the report)."""
    bns = [n for n in report.graph.nodes if n.kind == "bn"]
    macs = 30 * sum(n.shape.elements for n in bns)
    params = 3 * sum(n.shape.c for n in bns)
    if any("relative position bias folded" in note for note in report.graph.notes):
        for n in report.graph.nodes:
            if n.kind == "attention" and n.role == "scores" and n.info["windowed"]:
                window = math.isqrt(n.info["keys"])
                params += n.info["heads"] * (window ** 4 - (2 * window - 1) ** 2)
    return macs, params


ZOO = {"mobilenet_v2": ("v2", {"flavor": "torchvision"}),
       "mobilenet_v3_large": ("v3-large", {"flavor": "torchvision"}),
       "resnet18": ("resnet18", {}), "efficientnet_b0": ("efficientnet_b0", {}),
       "convnext_tiny": ("convnext_tiny", {}), "vit_b_16": ("vit_b_16", {}),
       # F.interpolate (and F.max_pool2d, F.adaptive_avg_pool2d) read as functions from the
       # exporter's scopes; the RPN head's three calls as one set of weights
       "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large", {"resolution": 224}),
       "deeplabv3_mobilenet_v3_large": ("deeplabv3_mobilenet_v3_large", {"resolution": 224}),
       "fasterrcnn_mobilenet_v3_large_320_fpn": ("fasterrcnn_mobilenet_v3_large_320_fpn", {}),
       "swin_t": ("swin_t", {}), "maxvit_t": ("maxvit_t", {})}
# torchvision's LastLevelMaxPool is a leaf module whose forward is F.max_pool2d alone: the
# TorchScript export names it as an nn.MaxPool2d module's op (docs/onnx.md), which ptflops
# charges once more per input element.
# (model, profile) -> the spec layer of that function
LEAF_FUNCTION = {("fasterrcnn_mobilenet_v3_large_320_fpn", "ptflops"): "fpn_pool"}


@pytest.mark.parametrize("name", [m for m in MODELS if m in ZOO])
def test_exported_torchvision_model_counts_as_the_zoo_spec(name):
    import costcalc
    from costcalc.costing import conventions

    model = _model(name)
    zoo, parameters = ZOO[name]
    for profile in conventions.BUILT_IN:
        if profile == "tf-slim":
            continue
        imported = costcalc.from_torch(model, _shape(name), profile).total
        report = costcalc.analyze(zoo, profile, **parameters)
        spec = report.total
        if (name, profile) in LEAF_FUNCTION:
            # ptflops charges the module it believes in once more per element of its input
            pool = next(n for n in report.graph.nodes if n.name == LEAF_FUNCTION[name, profile])
            assert imported.macs - spec.macs == pool.info["input"].elements, profile
            continue
        assert (imported.macs, imported.params) == (spec.macs, spec.params), profile


@pytest.mark.parametrize("name", ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large",
                                  "mobilenet_v2"])
@pytest.mark.parametrize("profile", ["ptflops", "thop"])
def test_hook_counters_see_functional_resizes_and_pools_as_read(tools, name, profile):
    """ptflops and thop charge F.interpolate and F.adaptive_avg_pool2d differently from the
    modules; from_torch reads which one ran from the export."""
    import torch

    import costcalc

    model = _model(name)
    x = torch.zeros(_shape(name))
    with tools.quiet(), torch.no_grad():
        tool = tools.ptflops(model, x, "pytorch")[0] if profile == "ptflops" else \
            tools.thop(model, x)[0]
    assert costcalc.from_torch(model, _shape(name), profile).total.macs == tool
