"""Performance guards that do not time anything: what start-up imports, how much work a sweep does,
and that the traced sweep gives exactly the naive integers."""
from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costcalc import zoo
from costcalc.costing import conventions
from costcalc.costing import grid
from costcalc.api import load
from costcalc.errors import CostcalcError
from costcalc.numbers import make_divisible
from costcalc.spec.document import parse

HEAVY = ("sympy", "pydantic", "torch", "numpy", "onnx")

REPORT = ("import sys\nfrom costcalc.cli import main\nsys.argv = ['costcalc', {args}]\n"
          "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n")


@pytest.mark.parametrize("code", [
    "import costcalc",
    "import costcalc.cli",
    "import costcalc; costcalc.analyze('v2', alpha=0.5, resolution=160).to_dict()",
    REPORT.format(args="'v2', '--alpha', '0.5', '--res', '160'"),
    REPORT.format(args="'v3-large', '--format', 'json'"),
    REPORT.format(args="'sweep', 'v2', '--alpha', '0.5,1', '--res', '128,160'"),
], ids=["import", "import-cli", "analyze", "report", "report-json", "sweep"])
def test_numeric_paths_never_import_heavy_modules(code):
    check = (f"{code}\nimport sys\nloaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
             "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def _accepts(spec, point) -> bool:
    try:
        grid.naive_grid(spec, {k: [v] for k, v in point.items()}, {}, conventions.get("paper"))
    except CostcalcError:
        return False
    return True


@pytest.mark.parametrize("model", sorted(zoo.MODELS))
def test_traced_sweep_gives_exactly_the_naive_integers(model):
    spec = load(model)
    alpha = spec.parameters.get("alpha")
    alphas = [None] if alpha is None else \
        [str(c) for c in alpha.choices[:3]] if alpha.choices else ["0.35", "0.75", "1.3"]
    # Tiny resolutions make some spatial sizes collapse to 1: other branches, checked by guards.
    # (MaxViT-T builds only where its stage grids are multiples of 7: tests/test_trust_params.py)
    sides = (221, 222, 224, 445, 448) if model == "maxvit_t" else (1, 7, 33, 41, 96, 161, 224, 257)
    resolutions = [r for r in sides
                   if all(_accepts(spec, {"res": r, **({"alpha": a} if a else {})})
                          for a in alphas)]
    axes = {**({"alpha": alphas} if alphas != [None] else {}), "res": resolutions}
    assert len(resolutions) >= 4
    naive = grid.naive_grid(spec, axes, {}, conventions.get("paper"))
    grid.STATS.clear()
    fast = grid.evaluate_grid(spec, axes)
    assert fast == naive
    assert grid.STATS["evaluations"] > 0
    assert all(type(v) is int for _, total in fast for v in vars(total).values())


# v3-large (tf flavour) takes one branch for alpha < 1 and another above (its head is
# make_divisible(1280 * max(1, alpha), 8)); every other width is a rounding of a polynomial in
# alpha, re-evaluated per alpha. "1.0" reads as the int 1, traced apart from the rationals.
ALPHAS_100 = [f"{0.25 + i * (1.75 / 100):.4f}" for i in range(100)]


@pytest.mark.parametrize("alphas,resolutions,builds", [
    (["1.0"], [160, 192], 1),
    (["0.5", "1.0"], [128, 160, 192, 224], 2),
    (["0.25", "0.5", "0.75", "1.0"], list(range(96, 256, 16)), 2),
    (["0.35", "0.5", "0.75", "1.25", "1.4"], [1, 2, 3, 7, 33, 160, 224], 2),
    (ALPHAS_100, list(range(96, 296, 20)), 2),
])
def test_sweep_builds_one_graph_per_branch_not_per_alpha(alphas, resolutions, builds):
    spec = load("v3-large")
    grid.STATS.clear()
    results = grid.evaluate_grid(spec, {"alpha": alphas, "res": resolutions})
    assert len(results) == len(alphas) * len(resolutions)
    assert grid.STATS["builds"] == builds
    assert grid.STATS["builds"] + grid.STATS["evaluations"] == len(results)


NOT_INPUT_ONLY = """
parameters: {resolution: 64, width: 8}
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: width, kernel: 3, stride: 2}
  - {kind: conv, out: "width * 2 if resolution > 100 else width", kernel: 3}
  - {kind: global_avg_pool}
  - {kind: linear, out: 10}
"""

RECTANGLES = """
parameters: {height: 64, width: 48, rounding_up: true}
input: {channels: 3, height: height, width: width}
layers:
  - {kind: conv, out: 8, kernel: 3, stride: 2, padding: 0}
  - {kind: maxpool, kernel: 3, stride: 2, ceil_mode: rounding_up}
  - {kind: residual, stride: 2, body: [{kind: conv, out: 16, kernel: 3, stride: 2}, {kind: conv, out: 16, kernel: 3}]}
  - {kind: avgpool, kernel: 2, padding: 1}
  - {kind: flatten}
  - {kind: linear, out: 10}
"""


def test_a_parameter_read_by_the_input_and_a_layer_is_built_once_per_value():
    # resolution is read by a layer too: not traced, one build per value; width is traced
    spec = parse(NOT_INPUT_ONLY, "t.yaml")
    assert grid.input_only_parameters(spec) == frozenset()
    grid.STATS.clear()
    axes = {"width": [8, 16], "resolution": [64, 96, 128]}
    results = grid.evaluate_grid(spec, axes)
    assert grid.STATS["builds"] == len(axes["resolution"]) == len(results) // 2
    assert results == grid.naive_grid(spec, axes, {}, conventions.get("paper"))


def test_rectangular_inputs_ceil_mode_pools_and_flatten_match_the_naive_loop():
    spec = parse(RECTANGLES, "t.yaml")
    assert grid.input_only_parameters(spec) == {"height", "width"}
    axes = {"rounding_up": [True, False], "height": list(range(20, 90, 7)),
            "width": [24, 31, 48, 63]}
    grid.STATS.clear()
    fast = grid.evaluate_grid(spec, axes)
    work = dict(grid.STATS)
    assert fast == grid.naive_grid(spec, axes, {}, conventions.get("paper"))
    assert work["evaluations"] > 4 * work["builds"]


def test_the_sweep_reports_the_first_bad_point_like_the_naive_loop():
    spec = load("v2")
    axes = {"alpha": ["0.5", "1.0"], "res": [160, 0, 224]}
    with pytest.raises(CostcalcError) as naive:
        grid.naive_grid(spec, axes, {}, conventions.get("paper"))
    with pytest.raises(CostcalcError) as fast:
        grid.evaluate_grid(spec, axes)
    assert str(fast.value) == str(naive.value)


def _make_divisible_by_fractions(value, divisor, min_value):
    """The TF/torchvision rule written with Fractions, as in tensorflow/models slim mobilenet."""
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, math.floor(value + Fraction(divisor, 2)) // divisor * divisor)
    if new_value < Fraction(9, 10) * value:
        new_value += divisor
    return new_value


@given(st.one_of(st.integers(-10**6, 10**6),
                 st.fractions(min_value=-10**5, max_value=10**5, max_denominator=10**4)),
       st.integers(1, 64), st.one_of(st.none(), st.integers(0, 64)))
def test_integer_make_divisible_equals_the_fraction_rule(value, divisor, min_value):
    assert make_divisible(value, divisor, min_value) == \
        _make_divisible_by_fractions(value, divisor, min_value)


@pytest.mark.parametrize("axes,builds", [
    ({"res": [160], "alpha": ["0.35", "0.5", "0.75", "1.3", "1.4"]}, 2),  # below 1, above 1
    ({"alpha": ["0.35", "0.5", "0.75"]}, 1),
    ({"res": [160], "alpha": ["0.5", "0.75", "1.0"]}, 2),  # "1.0" is the int 1: its own build
])
def test_a_sweep_of_alpha_alone_builds_once_per_branch(axes, builds):
    spec = load("v2")
    grid.STATS.clear()
    results = grid.evaluate_grid(spec, axes)
    assert grid.STATS["builds"] == builds
    assert grid.STATS["builds"] + grid.STATS["evaluations"] == len(results)
    assert results == grid.naive_grid(spec, axes, {}, conventions.get("paper"))
