"""Run the real counting tools on PyTorch models: totals and, where a tool has them, per leaf module."""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import warnings

import torch
from torch import nn


def quiet():
    """Silence the tools' prints and warnings."""
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


def leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf modules in registration order (the execution order of the models checked)."""
    return [(name, m) for name, m in model.named_modules() if not list(m.children())]


def fvcore(model, x):
    from fvcore.nn import FlopCountAnalysis

    with quiet():
        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        total = analysis.total()
        per = analysis.by_module()
    return total, {name: per.get(name, 0) for name, _ in leaves(model)}


def ptflops(model, x, backend):
    from ptflops import get_model_complexity_info

    with quiet():
        macs, params = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                                 print_per_layer_stat=False, backend=backend)
    return int(macs), None


def thop(model, x):
    from thop import profile

    with quiet():
        macs, params, tree = profile(model, inputs=(x,), verbose=False, ret_layer_info=True)
    per = {}

    def walk(node: dict, prefix: str) -> None:
        for name, (ops, _, children) in node.items():
            per[prefix + name] = int(ops)
            walk(children, prefix + name + ".")

    walk(tree, "")
    return int(macs), {name: per.get(name, 0) for name, _ in leaves(model)}


def torchinfo(model, x):
    from torchinfo import summary

    with quiet():
        stats = summary(model, input_size=tuple(x.shape), verbose=0)
    per: dict[str, int] = {}
    modules = {m: name for name, m in leaves(model)}
    for layer in stats.summary_list:
        if layer.module in modules:
            per[modules[layer.module]] = per.get(modules[layer.module], 0) + layer.macs
    return int(stats.total_mult_adds), per


def flopcounter(model, x):
    """FlopCounterMode with attention on the math backend (torchvision's ``_ops``): the CPU
    flash kernel scaled_dot_product_attention picks by default has no FLOP formula."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    mode = FlopCounterMode(display=False)
    with quiet(), sdpa_kernel(SDPBackend.MATH), mode:
        model(x)
    counts = mode.get_flop_counts()
    prefix = type(model).__name__ + "."
    per = {}
    for name, _ in leaves(model):
        ops = counts.get(prefix + name) or counts.get(name) or {}
        per[name] = int(sum(ops.values()))
    return int(mode.get_total_flops()), per


def calflops(model, x):
    from calflops import calculate_flops

    with quiet():
        flops, macs, params = calculate_flops(model=model, input_shape=tuple(x.shape),
                                              output_as_string=False, print_results=False,
                                              print_detailed=False)
    return int(flops), int(macs)


def randomise_bn(model):
    """Random BN statistics, so that folded biases differ and the exporter keeps them all."""
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=generator))
                m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=generator))
                m.bias.copy_(torch.randn(m.num_features, generator=generator))


def onnx_tool(model, x):
    import onnx_tool as ot

    randomise_bn(model)
    with tempfile.TemporaryDirectory() as tmp, quiet():
        path = os.path.join(tmp, "model.onnx")
        torch.onnx.export(model, (x,), path, opset_version=17, dynamo=False,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
        loaded = ot.loadmodel(path, {"verbose": False})
        graph = loaded.graph
        graph.graph_reorder_nodes()
        graph.shape_infer(None)
        graph.profile(exclude_ops=ot.NoMacsOps)
    return int(round(graph.macs[0])), int(graph.params)
