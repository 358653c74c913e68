"""Cross-check of activations and pools called as modules, functions or tensor methods: each
row of tests/test_functional_calls.py rerun on the real tools (same set-up and skip rule as
test_crosscheck.py): ``conv(x)`` then the call, minus ``conv(x)`` alone, against each profile.
"""
from __future__ import annotations

import pytest

from test_crosscheck import MISSING, PROFILES, run_tool
from test_functional_calls import CASES, IDS, build

pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"missing: {', '.join(MISSING)}")


def torch_call(call: str):
    """The PyTorch call a CASES row names, as a module (a parameter-free wrapper for a call).

    Each call looks its function up when it runs, as a model's forward does: ptflops and calflops
    patch ``torch.nn.functional`` while they count, so a reference taken before (``op = F.relu``)
    would escape them."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    calls = {
        "nn.ReLU()": nn.ReLU(), "F.relu(x)": lambda x: F.relu(x),
        "x.relu(), torch.relu(x)": lambda x: torch.relu(x),
        "nn.ReLU6()": nn.ReLU6(), "F.relu6(x)": lambda x: F.relu6(x),
        "nn.Hardswish()": nn.Hardswish(), "F.hardswish(x)": lambda x: F.hardswish(x),
        "nn.Hardsigmoid()": nn.Hardsigmoid(), "F.hardsigmoid(x)": lambda x: F.hardsigmoid(x),
        "nn.Sigmoid()": nn.Sigmoid(), "torch.sigmoid(x)": lambda x: torch.sigmoid(x),
        "nn.SiLU()": nn.SiLU(), "F.silu(x)": lambda x: F.silu(x),
        "nn.GELU()": nn.GELU(), "F.gelu(x)": lambda x: F.gelu(x),
        'nn.GELU("tanh")': nn.GELU("tanh"),
        'F.gelu(x, approximate="tanh")': lambda x: F.gelu(x, approximate="tanh"),
        "nn.Softmax(1)": nn.Softmax(1), "F.softmax(x, dim=1)": lambda x: F.softmax(x, dim=1),
        "x.softmax(1)": lambda x: x.softmax(1),
        "nn.MaxPool2d(2)": nn.MaxPool2d(2), "F.max_pool2d(x, 2)": lambda x: F.max_pool2d(x, 2),
        "nn.AvgPool2d(2)": nn.AvgPool2d(2), "F.avg_pool2d(x, 2)": lambda x: F.avg_pool2d(x, 2),
        "nn.AdaptiveAvgPool2d(4)": nn.AdaptiveAvgPool2d(4),
        "F.adaptive_avg_pool2d(x, 4)": lambda x: F.adaptive_avg_pool2d(x, 4),
    }
    op = calls[call]
    if isinstance(op, nn.Module):
        return op

    class Call(nn.Module):
        def forward(self, x):
            return op(x)

    return Call()


def net(op):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.op = op

        def forward(self, x):
            x = self.conv(x)
            return x if self.op is None else self.op(x)

    torch.manual_seed(0)
    return Net().eval(), torch.randn(1, 3, 16, 16)


@pytest.mark.parametrize("fields, call, measured", CASES, ids=IDS)
@pytest.mark.parametrize("profile", PROFILES)
def test_call_costs_what_the_tool_charges(profile, fields, call, measured):
    from costcalc.costing import conventions

    with_call, _ = run_tool(profile, *net(torch_call(call)))
    without, _ = run_tool(profile, *net(None))
    rules = conventions.get(profile)
    ours = sum(rules.reported(n.counts) for n in build(fields).nodes)
    assert with_call - without == ours == measured.get(profile, 0), \
        f"{profile} {call}: tool {with_call - without}, costcalc {ours}"
