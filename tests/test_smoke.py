"""End-to-end smoke checks of the package and the command line."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import costcalc


@pytest.mark.parametrize("model, macs, params", [
    # architectures.md section 6 reconciliation (v1 paper 569M/4.2M, v2 paper 300M/3.4M, v3 217M/5.4M)
    ("v1", 568_740_352, 4_210_088),
    ("v2", 300_774_272, 3_470_760),
    ("v3", 216_589_760, 5_458_632),
])
def test_headline_numbers(model, macs, params):
    report = costcalc.analyze(model)
    assert (report.total.macs, report.total.params) == (macs, params)


def test_cli_json_runs_as_a_process():
    out = subprocess.run([sys.executable, "-m", "costcalc", "v2", "--alpha", "0.5", "--res", "160",
                          "--format", "json"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["total"]["macs"] == sum(layer["macs"] for layer in data["layers"])
