"""Cross-check of the ONNX importer's op forms against PyTorch: small modules exported by torch
(parameters added apart from their layer, norms with and without affine parameters, LayerNorm
over C x H x W, GroupNorm, a token-sequence input, a matmul of activations), imported by
costcalc, give params equal to ``sum(p.numel())`` and MACs equal to ``FlopCounterMode`` / 2.

Optional, like test_onnx_torchvision.py (skipped without torch and onnx). Each module is
exported both ways torch writes a file: without constant folding (``from_torch``: parameters
reshaped by Unsqueeze nodes) and with it (the default of ``torch.onnx.export``: those Unsqueezes
computed into new initializers).
"""
from __future__ import annotations

import importlib.util
import os
import tempfile

import pytest

NEEDED = ("torch", "onnx")
MISSING = [name for name in NEEDED if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason="the ONNX op cross-check needs "
                                f"{', '.join(NEEDED)}; missing: {', '.join(MISSING)}")


def _modules():
    import torch
    from torch import nn

    class ConvThenBias(nn.Module):
        """A conv without bias and a learned (1, C, 1, 1) shift added after it."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            self.shift = nn.Parameter(torch.randn(1, 8, 1, 1))

        def forward(self, x):
            return self.conv(x) + self.shift

    class ScaleThenDivide(nn.Module):
        """A learned (C, 1, 1) scale multiplied in and another divided by, then x * 0.5 + 1."""

        def __init__(self):
            super().__init__()
            self.gamma = nn.Parameter(torch.randn(3, 1, 1))
            self.delta = nn.Parameter(torch.rand(3, 1, 1) + 1)

        def forward(self, x):
            return (x * self.gamma / self.delta) * 0.5 + 1.0

    class TokenEncoder(nn.Module):
        """A pre-norm transformer encoder layer on a token sequence [1, N, D] (no patches)."""

        def __init__(self, d=16, heads=2):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attention = nn.MultiheadAttention(d, heads, batch_first=True)
            self.ln_2 = nn.LayerNorm(d, bias=False)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            y = self.ln_1(x)
            x = x + self.attention(y, y, y, need_weights=False)[0]
            return x + self.mlp(self.ln_2(x))

    class Scores(nn.Module):
        """x @ x^T on tokens, a softmax over the last axis, then a linear: no attention kind."""

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(torch.softmax(torch.matmul(x, x.transpose(1, 2)), -1))

    def seq(*layers):
        return nn.Sequential(nn.Conv2d(3, 8, 1), *layers)

    return {
        "conv-then-bias": (ConvThenBias(), (1, 3, 8, 8)),
        "scale-then-divide": (ScaleThenDivide(), (1, 3, 4, 4)),
        "linear-on-tokens": (nn.Linear(8, 6), (1, 5, 8)),
        "layernorm-bias-false": (nn.LayerNorm(8, bias=False), (1, 5, 8)),
        "layernorm-no-affine": (nn.LayerNorm(8, elementwise_affine=False), (1, 5, 8)),
        "layernorm-chw": (seq(nn.LayerNorm([8, 4, 4])), (1, 3, 4, 4)),
        "layernorm-chw-no-affine": (seq(nn.LayerNorm([8, 4, 4], elementwise_affine=False)),
                                    (1, 3, 4, 4)),
        "groupnorm-1": (seq(nn.GroupNorm(1, 8)), (1, 3, 4, 4)),
        "groupnorm-4": (seq(nn.GroupNorm(4, 8)), (1, 3, 4, 4)),
        "groupnorm-4-no-affine": (seq(nn.GroupNorm(4, 8, affine=False)), (1, 3, 4, 4)),
        "instancenorm-affine": (seq(nn.InstanceNorm2d(8, affine=True)), (1, 3, 4, 4)),
        "instancenorm": (seq(nn.InstanceNorm2d(8)), (1, 3, 4, 4)),
        "batchnorm-no-affine": (seq(nn.BatchNorm2d(8, affine=False)), (1, 3, 4, 4)),
        "token-encoder": (TokenEncoder(), (1, 7, 16)),
        "scores-matmul": (Scores(), (1, 4, 6)),
    }


CASES = sorted(_modules()) if not MISSING else []


def _flop_counter_macs(model, shape) -> int:
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter, \
                torch.no_grad():
            model(torch.zeros(shape))
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("folding", [False, True], ids=["unfolded", "folded"])
def test_params_and_macs_equal_pytorchs(name, folding):
    import torch

    import costcalc

    model, shape = _modules()[name]
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    macs = _flop_counter_macs(model, shape)
    if not folding:
        report = costcalc.from_torch(model, shape, "torchvision")
    else:
        fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        try:
            report = _exported(model, shape, opset=17)
        finally:
            torch.backends.mha.set_fastpath_enabled(fastpath)
    assert (report.total.params, report.total.macs) == (params, macs)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("layernorm", "groupnorm"))])
def test_norms_exported_below_opset_17_decomposed(name):
    """Below opset 17 torch writes nn.LayerNorm as ReduceMean ... Sqrt, Div (and Mul, Add):
    the same params and MACs as the LayerNormalization op."""
    model, shape = _modules()[name]
    model.eval()
    report = _exported(model, shape, opset=15)
    assert (report.total.params, report.total.macs) == \
        (sum(p.numel() for p in model.parameters()), _flop_counter_macs(model, shape))


def _exported(model, shape, opset: int):
    """The torchvision-convention report of ``model`` exported (constants folded) at ``opset``."""
    import torch

    import costcalc

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        with torch.no_grad():
            torch.onnx.export(model, (torch.zeros(shape),), path, opset_version=opset,
                              dynamo=False, do_constant_folding=True)
        return costcalc.analyze(path, "torchvision")
