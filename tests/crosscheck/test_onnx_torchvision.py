"""Cross-check of the ONNX importer: torchvision models exported by torch, imported by costcalc,
against PyTorch's own counts and the counting tools on the same model or file.

Optional, like test_crosscheck.py (skipped without torch, torchvision, onnx and the tools).
Only models whose ops map onto the existing layer kinds are listed; convnext_tiny (LayerNorm,
GELU), vit_b_16 (attention), lraspp and ssdlite (Resize, Softmax) wait for those kinds.
"""
from __future__ import annotations

import importlib.util
import os
import tempfile

import pytest

NEEDED = ("torch", "torchvision", "onnx", "onnx_tool", "fvcore", "ptflops")
MISSING = [name for name in NEEDED if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason="the ONNX cross-check needs "
                                f"{', '.join(NEEDED)}; missing: {', '.join(MISSING)}")

MODELS = ("mobilenet_v2", "mobilenet_v3_large", "resnet18", "efficientnet_b0")


@pytest.fixture(scope="module")
def tools():
    import xcheck_tools

    return xcheck_tools


def _model(name):
    import torchvision

    return getattr(torchvision.models, name)().eval()


@pytest.mark.parametrize("name", MODELS)
def test_from_torch_gives_pytorchs_params_and_flop_counter_macs(name):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import costcalc

    model = _model(name)
    x = torch.zeros(1, 3, 224, 224)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    report = costcalc.from_torch(model, (1, 3, 224, 224), "torchvision")
    assert report.total.params == sum(p.numel() for p in model.parameters())
    assert 2 * report.total.macs == counter.get_total_flops()


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("profile", ["fvcore", "ptflops-aten"])
def test_tool_profiles_on_imported_models(tools, name, profile):
    import torch

    import costcalc

    model = _model(name)
    x = torch.zeros(1, 3, 224, 224)
    tool = tools.fvcore(model, x)[0] if profile == "fvcore" else \
        tools.ptflops(model, x, "aten")[0]
    assert costcalc.from_torch(model, (1, 3, 224, 224), profile).total.macs == tool


@pytest.mark.parametrize("name", MODELS)
def test_onnx_tool_profile_reproduces_onnx_tool_on_the_same_file(tools, name):
    import onnx_tool as ot
    import torch

    import costcalc

    model = _model(name)
    # Distinct biases (folded BN, and the SE convs' zero-initialised ones): the exporter shares
    # equal initializers, and onnx-tool counts a shared one once.
    tools.randomise_bn(model)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d) and module.bias is not None:
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        with tools.quiet():
            torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), path, opset_version=17,
                              dynamo=False, training=torch.onnx.TrainingMode.EVAL)
            loaded = ot.loadmodel(path, {"verbose": False})
            loaded.graph.graph_reorder_nodes()
            loaded.graph.shape_infer(None)
            loaded.graph.profile(exclude_ops=ot.NoMacsOps)
        report = costcalc.analyze(path, "onnx-tool")
    assert (report.total.macs, report.total.params) == \
        (int(round(loaded.graph.macs[0])), int(loaded.graph.params))
    assert "BatchNorm folded" in " ".join(report.graph.notes)


ZOO = {"mobilenet_v2": ("v2", {"flavor": "torchvision"}),
       "mobilenet_v3_large": ("v3-large", {"flavor": "torchvision"}),
       "resnet18": ("resnet18", {}), "efficientnet_b0": ("efficientnet_b0", {})}
# torchvision's v2 pools with F.adaptive_avg_pool2d, a function call that hook-based counters
# (ptflops, thop) see differently from a module; both export as GlobalAveragePool.
FUNCTIONAL_POOL = {("mobilenet_v2", "ptflops"), ("mobilenet_v2", "thop")}


@pytest.mark.parametrize("name", MODELS)
def test_exported_torchvision_model_counts_as_the_zoo_spec(name):
    import costcalc
    from costcalc.costing import conventions

    model = _model(name)
    zoo, parameters = ZOO[name]
    for profile in conventions.BUILT_IN:
        if profile == "tf-slim" or (name, profile) in FUNCTIONAL_POOL:
            continue
        imported = costcalc.from_torch(model, (1, 3, 224, 224), profile).total
        spec = costcalc.analyze(zoo, profile, **parameters).total
        assert (imported.macs, imported.params) == (spec.macs, spec.params), profile
