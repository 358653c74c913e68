"""The traced grid (parameters and input size traced, one build per branch) gives exactly the
naive loop's integers, or exactly its error, on random exact sub-grids of every zoo model and
on specs that use the newer layer kinds; and its work stays bounded."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costcalc import zoo
from costcalc.costing import conventions, grid
from costcalc.errors import CostcalcError
from costcalc.spec.document import parse
from costcalc.spec.models import load


def outcome(run, spec, axes, convention="paper"):
    """The results of a grid, or the text of the error it stops with."""
    try:
        if run is grid.naive_grid:
            return grid.naive_grid(spec, axes, {}, conventions.get(convention))
        return grid.evaluate_grid(spec, axes, convention=convention)
    except CostcalcError as exc:
        return f"error: {exc}"


def assert_same_as_naive(spec, axes, convention="paper"):
    naive = outcome(grid.naive_grid, spec, axes, convention)
    grid.STATS.clear()
    fast = outcome(grid.evaluate_grid, spec, axes, convention)
    assert fast == naive
    assert not grid.STATS["fallbacks"]  # the fast path never failed on its own
    if not isinstance(fast, str):
        assert all(type(v) is int for _, total in fast for v in vars(total).values())
    return fast


def decimal(rng: random.Random, low: Fraction, high: Fraction, places: int = 3) -> str:
    """A random decimal text in [low, high] with ``places`` digits (an exact value)."""
    scale = 10**places
    value = Fraction(rng.randint(int(low * scale) + 1, int(high * scale)), scale)
    return f"{float(value):.{places}f}" if value.denominator != 1 else str(value.numerator)


def other_axis(spec, rng: random.Random) -> tuple[str, list] | None:
    """A numeric parameter besides alpha and the input size, with two values it accepts."""
    skip = {"alpha", *grid.input_parameters(spec)}
    numeric = sorted(name for name, p in spec.parameters.items()
                     if name not in skip and p.type == "number")
    if not numeric:
        return None
    name = rng.choice(numeric)
    p = spec.parameters[name]
    if p.choices:
        return name, [str(c) for c in list(p.choices)[:2]]
    if type(p.default) is int:
        low = max(p.minimum if p.minimum is not None else 1, 1)
        high = min(p.maximum if p.maximum is not None else 4 * p.default, 4 * max(p.default, 2))
        return name, sorted({str(p.default), str(rng.randint(low, max(low, high)))})
    low = p.more_than if p.more_than is not None else (p.minimum or Fraction(1, 100))
    high = p.maximum if p.maximum is not None else 2 * p.default
    return name, sorted({str(p.default), decimal(rng, Fraction(low), Fraction(high), 2)})


# Models built only at some input sides: every MaxViT-T stage grid a multiple of 7
# (torchvision refuses other sizes; tests/test_trust_params.py)
SIDES = {"maxvit_t": [221, 222, 223, 224, 445, 446, 447, 448]}


@pytest.mark.parametrize("model", sorted(zoo.MODELS))
def test_every_zoo_model_on_a_random_exact_sub_grid(model):
    spec = load(model)
    rng = random.Random(model)
    axes: dict[str, list] = {}
    alpha = spec.parameters.get("alpha")
    if alpha is not None:
        axes["alpha"] = [str(c) for c in alpha.choices] if alpha.choices else \
            [decimal(rng, Fraction(1, 5), min(Fraction(2), alpha.maximum or 2), 4)
             for _ in range(4)]
    extra = other_axis(spec, rng)
    if extra:
        axes[extra[0]] = extra[1]
    axes["res"] = sorted(rng.sample(SIDES.get(model, range(64, 320)), 5))
    fast = assert_same_as_naive(spec, axes)
    assert not isinstance(fast, str), fast  # the values chosen are valid for every model
    points = len(fast)
    # every point is one build or one evaluation, besides builds whose trace was given up
    assert grid.STATS["builds"] - grid.STATS["untraced"] + grid.STATS["evaluations"] == points
    assert grid.STATS["evaluations"] >= points // 2


@pytest.mark.parametrize("model,axes", [
    ("v3-large", {"res": [96, 160, 224], "alpha": ["0.35", "0.75", "1.25"], "classes": [10, 1001]}),
    ("v3-large", {"alpha": ["0.5", "1.5"], "se_ratio": ["0.25", "0.3"], "res": [128, 160]}),
    ("v3-small", {"stem_channels": [16, 24], "res": [128, 160], "alpha": ["0.75", "1"]}),
    ("v2", {"alpha": ["0.35", "1.4"], "res": [1, 2, 3, 5, 96]}),
    ("v2", {"alpha": ["0.5", "1.0"], "res": [160, 0, 224]}),       # a bad point: the same error
    ("v1", {"alpha": ["0.25", "0.5"], "res": [128, 160], "classes": [10, 0]}),
    ("efficientnet_b0", {"res": [224, 240], "alpha": ["1.0", "1.1"]}),
    ("v3-large", {"flavor": ["tf", "torchvision"], "se": ["true", "false"],
                  "alpha": ["0.35", "0.9", "1.0", "1.3"], "res": [96, 161, 224]}),
    ("v3-small", {"res": [97, 160], "nl": ["relu", "hswish"], "alpha": ["0.5", "0.75", "2"],
                  "last_stage": ["efficient", "v2"]}),
], ids=str)
def test_tables_of_grids_with_more_axes_give_the_naive_outcome(model, axes):
    assert_same_as_naive(load(model), axes)


@pytest.mark.parametrize("convention", ["paper", "torchvision", "fvcore", "ptflops", "thop"])
def test_every_convention_gives_the_naive_integers(convention):
    axes = {"alpha": ["0.35", "0.6", "1.3"], "res": [96, 128, 193]}
    assert_same_as_naive(load("v3-small"), axes, convention)


NEW_KINDS = """
parameters: {resolution: 64, width: 16, ratio: 0.5, groups: 2}
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: "make_divisible(width * 2 * ratio, 8)", kernel: 3, stride: 2}
  - {kind: layer_norm}
  - {kind: gelu}
  - {kind: group_norm, groups: groups}
  - {kind: instance_norm, affine: true}
  - {kind: layer_scale}
  - {kind: channel_shuffle, groups: groups}
  - {kind: conv_transpose, out: "round(width * ratio * 3)", kernel: 2, stride: 2}
  - {kind: upsample, scale: 2}
  - {kind: adaptive_avg_pool, size: 7}
  - kind: parallel
    merge: concat
    branches:
      - [{kind: conv, out: "int(width / 3) + 1", kernel: 1}]
      - [{kind: conv, out: "max(8, floor(width * ratio))", kernel: 3}]
  - {kind: residual, body: [{kind: conv, out: "ceil(width * 1.25)", kernel: 3}]}
  - {kind: softmax}
  - {kind: global_avg_pool}
  - {kind: linear, out: 10}
"""


@pytest.mark.parametrize("axes", [
    {"width": [16, 24, 40, 64], "res": [32, 47, 64, 97]},
    {"ratio": ["0.5", "0.75", "1.25"], "width": [16, 48], "res": [33, 64]},
    {"groups": [1, 2, 4], "res": [40, 64]},
], ids=str)
def test_the_newer_kinds_give_the_naive_integers(axes):
    spec = parse(NEW_KINDS, "kinds.yaml")
    fast = assert_same_as_naive(spec, axes)
    assert not isinstance(fast, str), fast
    assert grid.STATS["evaluations"] > 0


def test_a_grid_builds_once_per_branch_and_evaluates_every_other_point():
    spec = load("v3-large")
    alphas = [f"0.{25 + i}" for i in range(60)]
    grid.STATS.clear()
    results = grid.evaluate_grid(spec, {"alpha": alphas, "res": list(range(96, 256, 8))})
    assert grid.STATS["builds"] == 1  # every alpha here is below 1: one branch
    assert grid.STATS["evaluations"] == len(results) - 1


EXPRESSIONS = """
parameters: {resolution: 64, alpha: 1.0, k: 3, depth: 2, s: 2, width: 24}
let:
  w1: "make_divisible(32 * alpha, 8)"
  w2: "round(width * alpha, 1) * 10 // 1"
  odd: "int(alpha * 10) % 3"
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: w1, kernel: k, stride: s, padding: "k // 2"}
  - {kind: conv, out: "w2 if alpha > 0.5 else w1 + 8", kernel: 1}
  - {kind: conv, out: "max(8, ceil(alpha ** 2 * 16))", kernel: 3, groups: 1}
  - {kind: dwconv, kernel: "k + 2 * odd", stride: 1}
  - {kind: conv, out: "floor(in_channels / 3) * 3 + 3", kernel: 1, repeat: depth}
  - {kind: maxpool, kernel: 3, stride: 2, ceil_mode: true}
  - {kind: conv, out: "make_divisible(in_channels * 1.5, 8, 16)", kernel: "min(k, 3)", stride: 1}
  - {kind: global_avg_pool}
  - {kind: linear, out: "10 if width % 2 == 0 else 11"}
"""


@pytest.mark.parametrize("axes", [
    {"alpha": ["0.25", "0.3333", "0.5", "0.75", "1", "1.3", "1.75"], "res": [17, 32, 61, 64]},
    {"alpha": ["0.35", "0.9"], "k": [1, 3, 5], "res": [40, 64]},
    {"alpha": ["0.6", "1.2"], "depth": [0, 1, 3], "res": [48, 50]},
    {"width": [9, 24, 31], "alpha": ["0.45", "0.55"], "s": [1, 2], "res": [33, 34]},
    {"alpha": ["0." + "3" * 60, "0.4999999999999999999999", "1/3"], "res": [31, 32]},
], ids=str)
def test_expressions_over_traced_parameters_give_the_naive_outcome(axes):
    spec = parse(EXPRESSIONS, "expressions.yaml")
    fast = assert_same_as_naive(spec, axes)
    assert not isinstance(fast, str), fast
    assert grid.STATS["evaluations"] > 0


BITS = """
parameters: {resolution: 32, alpha: 0.5}
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: "make_divisible(alpha ** 8 * 64, 8)", kernel: 3}
  - {kind: global_avg_pool}
  - {kind: linear, out: 10}
"""


@pytest.mark.parametrize("alphas", [
    ["0.5", "0.3" + "3" * 180],   # alpha ** 8 has a 4,800-bit denominator: refused at that point
    ["0.3" + "3" * 180, "0.5"],
    ["0.5", "0.3" + "3" * 120],   # 3,200 bits: within the limit
])
def test_the_bit_limit_is_checked_at_every_point_not_only_the_traced_one(alphas):
    assert_same_as_naive(parse(BITS, "bits.yaml"), {"alpha": alphas, "res": [16, 32]})


@pytest.mark.parametrize("model,axes", [
    ("v3-large", {"alpha": ["0.5", "0.75", "1.25"], "res": [128, 160, 224]}),   # traced rows
    ("resnet18", {"n2": [1, 2], "res": [128, 160]}),                            # a repeat count
    ("v2", {"res": [160, 0]}),                                                   # a bad point
])
def test_progress_counts_every_point_once(model, axes):
    done = []
    try:
        results = grid.evaluate_grid(load(model), axes, progress=done.append)
    except CostcalcError:
        results = None
    points = len(list(grid.points(axes)))
    if results is not None:
        assert sum(done) == len(results) == points
    else:  # the naive loop reports the error: progress never passes the grid's size
        assert sum(done) <= 2 * points


WHOLE = """
parameters: {resolution: 32, alpha: 0.5}
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: "16 * alpha", kernel: 3}
  - {kind: conv, out: 8, kernel: 1}
  - {kind: global_avg_pool}
  - {kind: linear, out: 10}
"""


@pytest.mark.parametrize("alphas", [
    ["0.5", "0.75", "1.25"],   # 16 alpha whole everywhere
    ["0.5", "0.55"],           # not whole at 0.55: 'out' must be a whole number there
    ["0.55", "0.5"],
])
def test_a_value_whole_at_one_point_is_not_assumed_whole_at_another(alphas):
    assert_same_as_naive(parse(WHOLE, "whole.yaml"), {"alpha": alphas, "res": [16, 32]})


# Random width expressions over traced parameters: every one the naive loop accepts or refuses,
# the traced grid must give the same integers or the same error.
_TERMS = st.sampled_from(["alpha", "width", "in_channels", "alpha * width", "in_channels * alpha",
                          "width / 3", "in_channels * 3 / 4", "alpha * alpha * 10"])
_SHAPES = st.sampled_from([
    "make_divisible({a} * 8, 8)", "round({a} * 4) + 1", "floor({a} * 2) + 1", "ceil({a}) + 7",
    "int({a} * 5) + 2", "max(4, round({a}))", "min(64, make_divisible({a} * 16, 4))",
    "16 if {a} > 1 else 8", "round({a} * 6) // 2 + 1", "round({a} * 9) % 5 + 3",
])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(_SHAPES, _TERMS, st.sampled_from([1, 3]), st.sampled_from([1, 2])),
                min_size=1, max_size=4),
       st.lists(st.sampled_from(["0.25", "0.35", "0.5", "0.6", "0.75", "1", "1.3", "1.4",
                                 "2"]), min_size=2, max_size=4, unique=True),
       st.lists(st.sampled_from([8, 12, 16, 24, 33]), min_size=1, max_size=2, unique=True))
def test_random_width_expressions_give_the_naive_outcome(layers, alphas, widths):
    lines = ["parameters: {resolution: 32, alpha: 1, width: 16}", "input: [3, resolution, resolution]",
             "layers:"]
    for shape, term, kernel, stride in layers:
        out = shape.format(a=f"({term})")
        lines.append(f'  - {{kind: conv, out: "{out}", kernel: {kernel}, stride: {stride}}}')
    lines.append("  - {kind: global_avg_pool}")
    spec = parse("\n".join(lines) + "\n", "random.yaml")
    assert_same_as_naive(spec, {"alpha": alphas, "width": widths, "res": [9, 20, 32]})
