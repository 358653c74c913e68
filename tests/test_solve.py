"""Budget solving: ``costcalc solve`` against brute force over the same grid, and the closed form."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from typer.testing import CliRunner

from costcalc import api
from costcalc.cli import app
from costcalc.errors import UsageError
from costcalc.symbolic.solve import FINE, parse_amount, solve
from costcalc.spec.document import load_file
from costcalc.symbolic.derive import derive

# make_divisible(40 alpha, 16) equals make_divisible(40 alpha, 8) at some widths only; there the
# block skips its expansion conv, so the cost drops as alpha grows (alpha 1.2 < alpha 1.0).
NON_MONOTONE_SPEC = """\
name: non_monotone
parameters:
  alpha: {default: 1.0, more_than: 0, max: 2}
  resolution: {default: 32, min: 8, max: 1024}
input: [3, resolution, resolution]
layers:
  - {name: stem, kind: conv, out: "make_divisible(40 * alpha, 8)", kernel: 3, stride: 2}
  - name: block
    kind: inverted_residual
    exp: "make_divisible(40 * alpha, 16)"
    out: "make_divisible(40 * alpha, 8)"
"""


@pytest.mark.parametrize("text, value", [
    ("150M", 150_000_000), ("1.5G", 1_500_000_000), ("2e6", 2_000_000), ("300_000", 300_000),
    ("2k", 2_000), ("0.5M", 500_000), ("1B", 10**9),
])
def test_parse_amount(text, value):
    assert parse_amount(text, "--macs") == value


@pytest.mark.parametrize("text", ["15Q", "-1M", "0.5", "", "1.2345K", "M", "1e99"])
def test_parse_amount_rejects(text):
    with pytest.raises(UsageError):
        parse_amount(text, "--macs")


def macs(model, **params):
    return api.analyze(model, **params).total


@pytest.fixture(scope="module")
def solved():
    cache = {}

    def get(**budgets):
        key = tuple(sorted(budgets.items()))
        if key not in cache:
            cache[key] = solve(api.load("v2"), budgets, {})
        return cache[key]

    return get


def test_largest_alpha_within_a_mac_budget(solved):
    budget = 150_000_000
    sol = solved(macs=budget)
    alpha = sol.exact.value
    assert sol.exact.total == macs("v2", alpha=alpha)
    assert sol.exact.total.macs <= budget
    assert macs("v2", alpha=alpha + FINE).macs > budget
    assert macs("v2", alpha=sol.boundary).macs <= budget
    assert macs("v2", alpha=sol.boundary + Fraction(1, 10**6)).macs > budget
    # the closed form: the piece solved is exactly the budget at the ideal alpha
    ideal = sol.ideal
    a = sympy.Symbol("alpha", positive=True)
    assert sympy.simplify(ideal["polynomial"].xreplace({a: ideal["value"]}) - budget) == 0
    assert ideal["binding"] == "macs" and ideal["region"] == "0 < alpha <= 1"


def test_both_budgets_at_once_fit_both(solved):
    budgets = {"macs": 150_000_000, "params": 2_000_000}
    sol = solved(**budgets)
    alone = [solved(**{q: b}).exact.value for q, b in budgets.items()]
    assert sol.exact.value == min(alone)
    assert sol.exact.total.params <= 2_000_000 and sol.exact.total.macs <= 150_000_000
    assert sol.ideal["binding"] == "params"


def test_search_finds_the_largest_fitting_alpha_where_cost_is_not_monotone(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(NON_MONOTONE_SPEC)
    spec = load_file(str(path))
    cost = {k: api.analyze(spec, alpha=Fraction(k, 1000)).total.macs for k in range(1, 2001)}
    assert cost[1200] < cost[1000]  # the spec really is non-monotone
    budget = cost[1200]
    brute = max(k for k, c in cost.items() if c <= budget)
    # a bisection that assumes monotone cost would stop early
    assert any(cost[k] > budget for k in range(1000, brute))
    sol = solve(spec, {"macs": budget}, {})
    assert sol.exact.value == Fraction(brute, 1000)
    assert sol.exact.total.macs == cost[brute]


@pytest.mark.parametrize("step", [8, 32])
def test_largest_resolution_at_fixed_alpha(step):
    budget = 150_000_000
    sol = solve(api.load("v2"), {"macs": budget}, {"alpha": "1"}, step=step)
    fitting = [r for r in range(step, 1025, step) if macs("v2", resolution=r).macs <= budget]
    assert sol.variable == "resolution" and sol.exact.value == max(fitting)
    ideal_res = float(sol.ideal["value"])
    model = derive(api.load("v2"), {"alpha": "1"})
    at = {**model.at, model.symbols["rho"]: sympy.Float(ideal_res / 224, 30)}  # t = 6, alpha = 1
    assert float(model.macs.xreplace(at)) == pytest.approx(budget)
    assert sol.exact.value <= ideal_res + step


def test_models_without_alpha_solve_for_resolution():
    sol = solve(api.load("vgg16"), {"macs": 10 * 10**9}, {})
    assert sol.variable == "resolution" and sol.exact.value % 8 == 0
    assert macs("vgg16", resolution=sol.exact.value).macs <= 10**10
    assert macs("vgg16", resolution=sol.exact.value + 8).macs > 10**10


runner = CliRunner()


def test_solve_command_json():
    result = runner.invoke(app, ["solve", "v2", "--macs", "150M", "--params", "2M", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["solve_for"] == "alpha" and data["budgets"] == {"macs": 150_000_000,
                                                               "params": 2_000_000}
    total = macs("v2", alpha=Fraction(str(data["exact"]["alpha"])))
    assert (total.macs, total.params) == (data["exact"]["macs"], data["exact"]["params"])
    assert data["next"]["macs"] > 150_000_000 or data["next"]["params"] > 2_000_000


def test_solve_command_table_shows_exact_and_ideal():
    result = runner.invoke(app, ["solve", "v2", "--macs", "150M", "--alpha", "1", "--step", "32"])
    assert result.exit_code == 0, result.output
    assert "exact count" in result.stdout and "ideal closed form" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["solve", "v2"], "budget"),
    (["solve", "v2", "--macs", "15Q"], "--macs"),
    (["solve", "v2", "--macs", "1M"], "no alpha fits"),
    (["solve", "v2", "--macs", "1G", "--alpha", "1", "--res", "224"], "not both"),
    (["solve", "v2", "--alpha", "1", "--params", "2M"], "do not depend on resolution"),
])
def test_solve_bad_requests(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


def test_spec_file_path_works(tmp_path: Path):
    path = tmp_path / "spec.yaml"
    path.write_text(NON_MONOTONE_SPEC)
    result = runner.invoke(app, ["solve", str(path), "--macs", "1M"])
    assert result.exit_code == 0, result.output


def test_alpha_with_choices_is_solved_over_the_choices(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("parameters:\n  alpha: {default: 1.0, choices: [0.5, 1.0, 2.0]}\n"
                    "input: [3, 32, 32]\nlayers:\n"
                    "  - {kind: conv, out: \"int(16 * alpha)\", kernel: 3, stride: 2}\n")
    spec = load_file(str(path))
    costs = {a: api.analyze(spec, alpha=a).total.macs for a in (0.5, 1.0, 2.0)}
    sol = solve(spec, {"macs": costs[1.0]}, {})
    assert sol.exact.value == 1 and sol.above.value == 2 and not sol.ideal
