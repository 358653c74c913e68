"""Cross-check: the real counting tools on the PyTorch build of every zoo model against costcalc.

Optional. Installs nothing: it runs only when torch, torchvision and every tool are importable
(see tests/crosscheck/README.md for the set-up) and is skipped with the reason otherwise.
Exact agreement for every tool (onnx-tool: plus the exporter's chunk arithmetic that
tests/tool_artifacts.py derives from the graph).
Per layer for the tools that report per module (fvcore, thop, torchinfo, flopcounter).
"""
from __future__ import annotations

import importlib
import importlib.util

import pytest

from tool_artifacts import export_residual

NEEDED = ("torch", "torchvision", "fvcore", "ptflops", "thop", "torchinfo", "calflops", "onnx",
          "onnx_tool")


def _missing() -> list[str]:
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if not missing:
        try:
            importlib.import_module("calflops")  # imports transformers at import time
        except Exception as exc:  # noqa: BLE001 - any import failure means: cannot run
            missing.append(f"calflops ({type(exc).__name__}: {exc})")
    return missing


MISSING = _missing()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason="cross-check against the real counting tools needs "
    f"{', '.join(NEEDED)} importable; missing: {', '.join(MISSING)} "
    "(set-up: tests/crosscheck/README.md)")

V1_WIDTHS = ("1.0", "0.75", "0.5", "0.25")
V2_WIDTHS = ("1.4", "1.0", "0.75", "0.5", "0.35")
V3_WIDTHS = ("1.0", "0.75")
RESOLUTIONS = (224, 160)

# zoo model -> (its width parameter or None, widths checked, extra parameters)
TORCHVISION = {"flavor": "torchvision"}
MODELS = {
    "v2": ("alpha", V2_WIDTHS, TORCHVISION),
    "v3-large": ("alpha", V3_WIDTHS, TORCHVISION),
    "v3-small": ("alpha", V3_WIDTHS, TORCHVISION),
    "v1": ("alpha", V1_WIDTHS, {}),
    "v3-large-minimalistic": ("alpha", V3_WIDTHS, TORCHVISION),
    "v3-small-minimalistic": ("alpha", V3_WIDTHS, TORCHVISION),
    "efficientnet_b0": ("width_mult", ("1.0",), {}),
    "mnasnet1_0": ("alpha", ("1.0", "0.5"), {}),
    "shufflenet_v2_x1_0": ("alpha", ("1.0", "0.5"), {}),
    "resnet18": (None, (None,), {}),
    "resnet50": (None, (None,), {}),
    "vgg16": (None, (None,), {}),
    "squeezenet1_0": (None, (None,), {}),
    "squeezenet1_1": (None, (None,), {}),
}
CASES = [(m, w, r) for m, (_, widths, _) in MODELS.items() for w in widths for r in RESOLUTIONS]
# (model, resolution) -> why onnx-tool cannot run on it
NO_ONNX = {("vgg16", 160): "torch.onnx cannot export adaptive_avg_pool2d from 5x5 to 7x7 (the "
                           "output size does not divide the input size)"}


def zoo_params(model: str, width: str | None, res: int) -> dict:
    """The zoo spec's parameters that describe the PyTorch model ``build`` makes (the modern
    models of test_crosscheck_modern.py: the resolution alone)."""
    if model not in MODELS:
        return {"resolution": res}
    name, _, extra = MODELS[model]
    params = {"resolution": res, **extra}
    if name is not None:
        params[name] = width
    return params


PROFILES = ("fvcore", "ptflops-aten", "torchinfo", "flopcounter", "calflops", "calflops-flops",
            "thop", "ptflops", "onnx-tool")
PER_LAYER = ("fvcore", "thop", "torchinfo", "flopcounter")

RESULTS: dict = {}  # (model, width, res) -> {profile: (tool, costcalc)}, printed at the end


def build(model: str, width: str | None, res: int):
    """The PyTorch model and its input."""
    import torch
    import torchvision
    from torchvision import models

    from xcheck_v1 import MobileNetV1
    from xcheck_v3_minimalistic import mobilenet_v3_minimalistic

    builders = {
        "v2": lambda w: models.mobilenet_v2(width_mult=w),
        "v3-large": lambda w: models.mobilenet_v3_large(width_mult=w),
        "v3-small": lambda w: models.mobilenet_v3_small(width_mult=w),
        "v1": MobileNetV1,
        "v3-large-minimalistic": lambda w: mobilenet_v3_minimalistic("large", w),
        "v3-small-minimalistic": lambda w: mobilenet_v3_minimalistic("small", w),
        "efficientnet_b0": lambda w: models.EfficientNet(
            models.efficientnet._efficientnet_conf("efficientnet_b0", width_mult=w,
                                                   depth_mult=1.0)[0], 0.2),
        "mnasnet1_0": lambda w: models.MNASNet(w),
        "shufflenet_v2_x1_0": lambda w: {1.0: models.shufflenet_v2_x1_0,
                                         0.5: models.shufflenet_v2_x0_5}[w](),
    }
    if model in builders:
        net = builders[model](float(width))
    else:
        net = getattr(torchvision.models, model)()
    return net.eval(), torch.randn(1, 3, res, res)


def costcalc_report(model: str, width: str, res: int, profile: str):
    import costcalc

    return costcalc.analyze(model, profile, **zoo_params(model, width, res))


def run_tool(profile: str, net, x, grad: bool = False):
    """(total, per-leaf-module dict or None) of the tool behind ``profile``; without autograd
    unless ``grad`` (nn.MultiheadAttention in eval mode without autograd takes its fused fast
    path, aten::_native_multi_head_attention, which no tool has a formula for and the ONNX
    exporter refuses: attention models are measured with autograd on, see docs/crosscheck.md)."""
    import contextlib

    import xcheck_tools as tools

    import torch

    with contextlib.nullcontext() if grad else torch.no_grad():
        if profile == "fvcore":
            return tools.fvcore(net, x)
        if profile == "ptflops":
            return tools.ptflops(net, x, "pytorch")
        if profile == "ptflops-aten":
            return tools.ptflops(net, x, "aten")
        if profile == "thop":
            return tools.thop(net, x)
        if profile == "torchinfo":
            return tools.torchinfo(net, x)
        if profile == "flopcounter":
            return tools.flopcounter(net, x)
        if profile in ("calflops", "calflops-flops"):
            flops, macs = tools.calflops(net, x)
            return (flops if profile == "calflops-flops" else macs), None
        if profile == "onnx-tool":
            macs, params = tools.onnx_tool(net, x)
            return macs, None
    raise AssertionError(profile)


UNIT_MODULES = ("Conv2d", "Linear", "AdaptiveAvgPool2d")
UNIT_KINDS = ("conv", "dwconv", "pwconv", "linear")


def module_units(net, per: dict) -> list[tuple[str, int]]:
    """Leaf modules grouped as costcalc fuses them: each conv, linear or pooling module with the
    BatchNorm, activation and dropout modules after it."""
    from xcheck_tools import leaves

    units: list[list] = []
    for name, module in leaves(net):
        if type(module).__name__ in UNIT_MODULES or not units:
            units.append([name, 0])
        units[-1][1] += int(per.get(name, 0))
    return [(name, value) for name, value in units]


def node_units(report, rules) -> list[tuple[str, int]]:
    """costcalc nodes that stand for a module: convs, linears and module pools (each with the
    dropout that torchvision keeps in the same unit)."""
    from costcalc.graph import quantities as q

    units = []
    for node in report.graph.nodes:
        module = node.kind in UNIT_KINDS or q.GAP_MODULE_IN in node.counts
        if module or not units:
            units.append([node.name, 0])
        if module or node.kind in ("dropout", "flatten"):
            units[-1][1] += rules.reported(node.counts)
    return [(name, value) for name, value in units]


@pytest.mark.parametrize("model,width,res", CASES)
@pytest.mark.parametrize("profile", PROFILES)
def test_tool_matches_profile(profile, model, width, res):
    from costcalc.costing import conventions

    if profile == "onnx-tool" and (model, res) in NO_ONNX:
        pytest.skip(NO_ONNX[model, res])
    rules = conventions.get(profile)
    report = costcalc_report(model, width, res, profile)
    ours = sum(rules.reported(n.counts) for n in report.graph.nodes)
    net, x = build(model, width, res)
    theirs, per = run_tool(profile, net, x)
    RESULTS.setdefault((model, width, res), {})[profile] = (theirs, ours)
    residual = export_residual(profile, report)
    assert theirs == ours + residual, \
        f"{profile} {model} {width} {res}: tool {theirs}, costcalc {ours} + {residual}"
    if per is not None and profile in PER_LAYER:
        tool_units = module_units(net, per)
        our_units = node_units(report, rules)
        assert [v for _, v in tool_units] == [v for _, v in our_units], \
            "per layer: " + "; ".join(
                f"{a}={va} vs {b}={vb}" for (a, va), (b, vb) in zip(tool_units, our_units)
                if va != vb)[:2000]


@pytest.mark.parametrize("model,width,res", [(m, widths[0], 224) for m, (_, widths, _) in MODELS.items()])
def test_params_match_torch(model, width, res):
    net, _ = build(model, width, res)
    report = costcalc_report(model, width, res, "torchvision")
    assert report.total.params == sum(p.numel() for p in net.parameters())


@pytest.fixture(scope="module", autouse=True)
def report_numbers():
    """After the run, write every tool's number next to costcalc's as a markdown table to the
    file CROSSCHECK_RESULTS names (when set)."""
    import os

    yield
    if not RESULTS or not os.environ.get("CROSSCHECK_RESULTS"):
        return

    profiles = PROFILES
    lines = ["| model | width | res | " + " | ".join(profiles) + " |",
             "|---|---|---|" + "---|" * len(profiles)]
    for (model, width, res), found in RESULTS.items():
        cells = []
        for p in profiles:
            if p not in found:
                cells.append("")
                continue
            theirs, ours = found[p]
            cells.append(f"{theirs}" if theirs == ours else
                         f"{theirs} (costcalc {ours}, {100 * (ours - theirs) / theirs:+.3f} %)")
        lines.append(f"| {model} | {width} | {res} | " + " | ".join(cells) + " |")
    with open(os.environ["CROSSCHECK_RESULTS"], "w") as out:
        out.write("\n".join(lines) + "\n")
    with open(os.environ["CROSSCHECK_RESULTS"] + ".yaml", "w") as out:
        out.write(measurements_yaml())


def measurements_yaml() -> str:
    """The tools' totals as entries of tests/data/tool_counts.yaml (model, the zoo parameters
    that describe the PyTorch model, each tool's total)."""
    out = []
    for (model, width, res), found in RESULTS.items():
        params = ", ".join(f"{k}: {v!r}".replace("'", '"') if isinstance(v, str) else f"{k}: {v}"
                           for k, v in zoo_params(model, width, res).items())
        tools = ",\n".join(f"      {p}: {found[p][0]}" for p in PROFILES if p in found)
        out.append(f"  - {{model: {model}, params: {{{params}}}, tools: {{\n{tools}}}}}\n")
    return "".join(out)
