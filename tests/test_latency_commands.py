"""Latency in compare, sweep and solve: the same predictions as ``costcalc latency``."""
import json

import pytest

from cli_runner import run, runner
from costcalc.cli import app
from costcalc.latency.budget import parse_budget

DEVICE = "pixel3-cpu4-tflite"


def _latency(model, *args):
    return json.loads(run("latency", model, "--device", DEVICE, *args, "-f", "json").stdout)


def test_compare_shows_the_latency_commands_totals():
    data = json.loads(run("compare", "v1", "v2:alpha=0.5", "--device", DEVICE, "-f",
                          "json").stdout)
    v1, v2 = data["variants"]
    assert v1["latency_ms"] == pytest.approx(_latency("v1")["total_ms"])
    assert v2["latency_ms"] == pytest.approx(_latency("v2", "--alpha", "0.5")["total_ms"])
    assert v2["ratios"]["latency"] == pytest.approx(v2["latency_ms"] / v1["latency_ms"])


def test_compare_without_device_is_unchanged():
    out = run("compare", "v1", "v2", "-f", "csv").stdout
    assert "latency" not in out


def test_sweep_adds_a_latency_grid():
    data = json.loads(run("sweep", "v1", "--alpha", "1,0.5", "--res", "224,128", "--device",
                          DEVICE, "-f", "json").stdout)
    grid = data["grids"]["latency_ms"]
    assert grid[1][1] == pytest.approx(_latency("v1", "--alpha", "0.5", "--res",
                                                "128")["total_ms"])
    assert grid[0][0] > grid[0][1] and grid[0][0] > grid[1][0]


@pytest.mark.parametrize("args,key", [([], "alpha"), (["--alpha", "1"], "resolution")])
def test_solve_latency_finds_the_largest_fitting_value(args, key):
    data = json.loads(run("solve", "v2", "--latency", "12ms", "--device", DEVICE, *args, "-f",
                          "json").stdout)
    best, following = data["rows"]
    assert best["solve_for"] == key and following["solve_for"] == f"next {key}"
    assert best["latency_ms"] <= 12 < following["latency_ms"]
    option = "--alpha" if key == "alpha" else "--res"
    again = _latency("v2", *args, option, best["value"])
    assert again["total_ms"] == pytest.approx(best["latency_ms"])


@pytest.mark.parametrize("text,seconds", [("20ms", "0.02"), ("20 ms", "0.02"), ("0.5s", "0.5"),
                                          ("500us", "0.0005"), ("7", "0.007"),
                                          ("1e1ms", "0.01")])
def test_parse_budget(text, seconds):
    from fractions import Fraction

    assert parse_budget(text) == Fraction(seconds)


@pytest.mark.parametrize("args,message", [
    (["solve", "v2", "--latency", "fast", "--device", DEVICE], "error: --latency takes a time"),
    (["solve", "v2", "--latency", "0ms", "--device", DEVICE], "error: --latency must be more"),
    (["solve", "v2", "--latency", "1e999s", "--device", DEVICE], "error: --latency must be more"),
    (["solve", "v2", "--latency", "1e99999s", "--device", DEVICE], "error: --latency takes"),
    (["solve", "v2", "--latency", "20ms"], "error: --latency and --device go together"),
    (["solve", "v2", "--latency", "1us", "--device", DEVICE], "error: even alpha=0.001 takes"),
    (["compare", "v1", "--dtype", "int8"], "error: --dtype goes with --device"),
    (["sweep", "v1", "--alpha", "1", "--device", "nope"], "error: unknown device 'nope'"),
])
def test_errors(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.stderr.startswith(message), result.stderr
