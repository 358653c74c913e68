"""``costcalc ablate v1 --experiment speed``: the notes' speed claims, checked as invariants."""
import json
from fractions import Fraction

import pytest

from cli_runner import run, runner
from costcalc.cli import app
from costcalc.latency import adapter, speed


def test_separable_macs_ratio_is_the_notes_formula():
    """std / (dw + pw) = 1 / (1/N + 1/K^2) exactly, per layer (K = 3, N = pointwise outputs)."""
    separable = adapter.model_records("v1")
    standard = adapter.model_records("v1", {"separable": "false"})
    std = {r.block: r.macs for r in standard if r.block.startswith("sep")}
    checked = 0
    for block, macs in std.items():
        pair = [r for r in separable if r.block == block]
        n = next(r.out_channels for r in pair if r.op == "pointwise")
        assert Fraction(macs, sum(r.macs for r in pair)) == 1 / (Fraction(1, n) + Fraction(1, 9))
        checked += 1
    assert checked == 13


def test_speed_tables_tell_the_notes_story():
    rows = speed.per_layer().rows
    total = rows[-1]
    assert 8 < total["macs_x"] < 9
    for row in rows[:-1]:
        assert row["modern_x"] > 1  # a dedicated depthwise kernel keeps the gain
    assert total["caffe_x"] < 1 < total["modern_x"]  # Caffe's launches eat it
    caffe = speed.grouped_vs_depthwise().rows[0]
    assert caffe["launches"] > sum(r.in_channels for r in adapter.model_records("v1")
                                   if r.op == "depthwise")
    assert caffe["x"] > 3
    vgg = speed.vgg_vs_v1().rows[0]
    assert 27 < vgg["x"] < 28


def test_golden(golden):
    golden("latency_speed_v1.markdown", run("ablate", "v1", "--experiment", "speed", "-f",
                                            "markdown").stdout)


def test_json_is_a_list_of_tables():
    data = json.loads(run("ablate", "v1", "--experiment", "speed", "-f", "json").stdout)
    assert len(data) == 3


@pytest.mark.parametrize("args,message", [
    (["ablate", "v2", "--experiment", "speed"], "error: --experiment speed is about MobileNet v1"),
    (["ablate", "v1", "--experiment", "sped"], "error: unknown experiment 'sped'"),
    (["ablate", "v1", "--experiment", "speed", "--only", "x"], "error: --experiment speed takes"),
])
def test_errors(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.stderr.startswith(message), result.stderr
