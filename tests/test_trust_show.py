"""Numbers that must not be silently wrong: show round trips, one meaning per parameter, refusals."""
from __future__ import annotations

import functools
import json
from fractions import Fraction

import pytest
import yaml

import costcalc
from costcalc import zoo

from cli_runner import run

# ------------------------------------------------------------------ show round trips
# Values tried for every declared parameter of every zoo model (choices and true/false are
# tried in full). A parameter missing here fails test_every_zoo_parameter_has_values, so a new
# parameter cannot escape the round-trip table.
NUMBER_VALUES = {
    "alpha": ["0.5", "1/3"], "width_mult": ["0.5", "1.1"], "depth_mult": ["0.5", "1.2"],
    "resolution": ["160", "193"], "classes": ["10"], "t": ["4", "1/2"],
    "mid_blocks": ["0", "2"], "stem_channels": ["24"], "se_ratio": ["1/3", "0.5"],
    "width": ["32", "128"], "n1": ["1", "3"], "n2": ["3"], "n3": ["1"], "n4": ["3"],
}


def _values(param) -> list[str]:
    if param.choices is not None:
        return [costcalc.expr.format_number(c) if costcalc.expr.is_exact(c) else str(c)
                for c in param.choices]
    if param.type == "bool":
        return ["true", "false"]
    return NUMBER_VALUES[param.name]


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for model in zoo.names():
        for name, param in costcalc.load(model).parameters.items():
            if param.type == "number" and param.choices is None and name not in NUMBER_VALUES:
                continue  # reported by test_every_zoo_parameter_has_values
            cases += [(model, name, value) for value in _values(param)]
    return cases


CASES = _cases()


def test_every_zoo_parameter_has_values():
    missing = [f"{m}.{n}" for m in zoo.names() for n, p in costcalc.load(m).parameters.items()
               if p.type == "number" and p.choices is None and n not in NUMBER_VALUES]
    assert not missing


def _rows(report) -> list[tuple]:
    return [(r.name, r.kind, r.output, r.macs, r.params, r.activations) for r in report.layers]


@functools.lru_cache(maxsize=None)
def _shown(model: str, *args: str) -> str:
    result = run("show", model, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _file(tmp_path, text: str, name: str = "shown.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("model, name, value", CASES, ids=[f"{m}-{n}={v}" for m, n, v in CASES])
def test_show_output_at_any_value_equals_the_model_at_that_value(model, name, value, tmp_path):
    """The printed spec, analysed with a parameter changed, is the zoo model with that change."""
    path = _file(tmp_path, _shown(model))
    assert _rows(costcalc.analyze(path, **{name: value})) == \
        _rows(costcalc.analyze(model, **{name: value}))


@pytest.mark.parametrize("model, name, value", CASES, ids=[f"{m}-{n}={v}" for m, n, v in CASES])
def test_show_with_a_value_then_another_parameter_changed(model, name, value, tmp_path):
    """``show --set name=value`` keeps every other parameter live: change one more and compare."""
    path = _file(tmp_path, _shown(model, "--set", f"{name}={value}"))
    other = "classes" if name != "classes" else "resolution"
    other_value = "7" if other == "classes" else "128"
    assert _rows(costcalc.analyze(path)) == _rows(costcalc.analyze(model, **{name: value}))
    assert _rows(costcalc.analyze(path, **{other: other_value})) == \
        _rows(costcalc.analyze(model, **{name: value, other: other_value}))


@pytest.mark.parametrize("model", ["shufflenet_v2_x1_0", "v3-large", "efficientnet_b0"])
def test_show_json_reads_back_to_the_same_model(model, tmp_path):
    text = run("show", model, "--set", "classes=10", "--format", "json").stdout
    path = _file(tmp_path, text, "shown.json")
    assert _rows(costcalc.analyze(path)) == _rows(costcalc.analyze(model, classes=10))


def test_show_issue_reproduction_shufflenet_half_width(tmp_path):
    # issue 13: `costcalc show shufflenet_v2_x1_0 > s.yaml && costcalc s.yaml --alpha 0.5`
    # gave the 1.0x count, 144,907,992 MACs; the 0.5x model is what the engine counts directly.
    path = _file(tmp_path, _shown("shufflenet_v2_x1_0"))
    shown = costcalc.analyze(path, alpha="0.5").total.macs
    assert shown == costcalc.analyze("shufflenet_v2_x1_0", alpha="0.5").total.macs
    assert shown != costcalc.analyze("shufflenet_v2_x1_0").total.macs


# A user spec whose parameter names are also choice words (padding `same`, activation `relu`)
# and whose defaults are rationals that are not decimals.
AWKWARD = """\
name: awkward
parameters:
  same: {default: 1, min: 0, max: 3}
  relu: 2
  w: {default: 1/3, more_than: 0, max: 4}
  act: {default: relu, choices: [relu, hswish]}
input: [3, 32, 32]
layers:
  - {kind: conv, out: 'make_divisible(96 * w, 8)', kernel: 3, padding: same, act: relu}
  - {kind: conv, out: 8 * relu, kernel: 3, padding: same, stride: 1 + same, act: act}
  - {kind: conv, out: 16, kernel: 1, padding: valid}
"""

AWKWARD_SETTINGS = [{}, {"same": "0"}, {"same": "2"}, {"relu": "3"}, {"w": "1/3"}, {"w": "2/7"},
                    {"w": "0.75"}, {"act": "hswish"}, {"act": "relu", "relu": "1"}]


@pytest.mark.parametrize("settings", AWKWARD_SETTINGS, ids=str)
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_show_of_a_user_spec_with_awkward_names_and_rationals(settings, fmt, tmp_path):
    source = _file(tmp_path, AWKWARD, "awkward.yaml")
    args = [a for k, v in settings.items() for a in ("--set", f"{k}={v}")]
    result = run("show", source, "--format", fmt, *args)
    assert result.exit_code == 0, result.stderr
    shown = _file(tmp_path, result.stdout, f"shown.{fmt}")
    assert _rows(costcalc.analyze(shown)) == _rows(costcalc.analyze(source, **settings))
    for again in AWKWARD_SETTINGS:
        assert _rows(costcalc.analyze(shown, **again)) == \
            _rows(costcalc.analyze(source, **{**settings, **again}))


def test_show_writes_a_rational_default_as_a_number(tmp_path):
    source = _file(tmp_path, AWKWARD, "awkward.yaml")
    document = yaml.safe_load(run("show", source, "--set", "w=2/7").stdout)
    assert document["parameters"]["w"]["default"] == "2/7"
    spec = costcalc.load(_file(tmp_path, run("show", source, "--set", "w=2/7").stdout))
    assert spec.parameters["w"].type == "number"
    assert spec.parameters["w"].default == Fraction(2, 7)


@pytest.mark.parametrize("value", ["0.1000000000000000055511151231257827", "0.3", "1e-3"])
def test_show_keeps_decimal_values_exact(value, tmp_path):
    source = _file(tmp_path, AWKWARD, "awkward.yaml")
    for fmt in ("yaml", "json"):
        text = run("show", source, "--set", f"w={value}", "--format", fmt).stdout
        spec = costcalc.load(_file(tmp_path, text, f"shown.{fmt}"))
        assert spec.parameters["w"].default == spec.parameters["w"].parse(value)


# ------------------------------------------------------------------ one meaning per parameter
def _one_line_error(result, expected: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


TWICE = [
    ["v2", "--set", "alpha=0.5", "--alpha", "0.75"],
    ["v2", "--set", "res=160", "--res", "192"],
    ["v2", "--set", "res=160", "--set", "resolution=192"],
    ["v2", "--set", "t=4", "--set", "t=6"],
    ["v2", "--classes", "10", "--set", "classes=100"],
    ["show", "v2", "--set", "alpha=0.5", "--alpha", "0.75"],
    ["formula", "v2", "--set", "alpha=0.5", "--alpha", "0.75"],
    ["memory", "v2", "--set", "res=160", "--res", "192"],
    ["conventions", "v2", "--set", "alpha=0.5", "--alpha", "0.75"],
    ["validate", "v2", "--set", "alpha=0.5", "--alpha", "0.75"],
    ["compare", "v2:alpha=0.5,alpha=0.75"],
    ["compare", "v2:res=160,resolution=192"],
    ["compare", "v2:alpha=0.5", "--alpha", "1,0.75"],
    ["sweep", "v2:res=160", "--res", "128,192"],
    ["sweep", "v2", "--alpha", "1,0.75", "--set", "alpha=0.5"],
]


@pytest.mark.parametrize("args", TWICE, ids=" ".join)
def test_a_parameter_given_twice_with_different_values_is_refused(args):
    _one_line_error(run(*args, code=2), "give it once")


@pytest.mark.parametrize("args", [["v2", "--set", "alpha=0.5", "--alpha", "0.5"],
                                  ["v2", "--set", "res=160", "--res", "160"]], ids=" ".join)
def test_a_parameter_given_twice_with_the_same_value_is_accepted(args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == run(*args[:3]).stdout


def test_library_refuses_res_and_resolution_with_different_values():
    with pytest.raises(costcalc.errors.UsageError, match="given twice"):
        costcalc.analyze("v2", res=160, resolution=192)
    assert costcalc.analyze("v2", res=160).total == costcalc.analyze("v2", resolution=160).total


@pytest.mark.parametrize("command", [["report"], ["show"], ["memory"], ["formula"]])
def test_res_means_resolution_in_every_command(command, tmp_path):
    """A spec cannot declare its own ``res``: the shortcut would mean two things."""
    spec = _file(tmp_path, "parameters: {res: 8, resolution: 16}\ninput: [3, resolution, res]\n"
                 "layers: [{kind: conv, out: 4, kernel: 1}]\n", "res.yaml")
    args = [] if command == ["report"] else command
    _one_line_error(run(*args, spec, code=2), "res.yaml:1:14: parameter name 'res' is reserved")


# A spec whose default resolution is 192: rho is resolution / 192 in the report and in formula.
BASE_192 = """\
parameters:
  alpha: {default: 1, more_than: 0}
  resolution: {default: 192, min: 1}
input: [3, resolution, resolution]
layers:
  - {kind: conv, out: 'make_divisible(32 * alpha, 8)', kernel: 3, stride: 2, padding: 1}
  - {kind: conv, out: 16, kernel: 1}
"""


@pytest.mark.parametrize("res, rho", [("96", "0.5 = 96/192"), ("192", "1 = 192/192"),
                                      ("224", "1.167 = 224/192")])
def test_rho_is_resolution_over_the_spec_default_in_report_and_formula(res, rho, tmp_path):
    spec = _file(tmp_path, BASE_192, "base192.yaml")
    report = run(spec, "--res", res).stdout
    assert f"resolution={res} (rho={rho})" in report
    formula = run("formula", spec, "--res", res, "--format", "json")
    assert formula.exit_code == 0, formula.stderr
    data = json.loads(formula.stdout)
    exact = rho.split(" = ")[1]
    assert Fraction(str(data["symbols"]["rho"]["value"])) == Fraction(exact)
    assert "input side 192*rho" in data["symbols"]["rho"]["description"]


def test_report_on_a_spec_without_resolution_shows_no_rho(tmp_path):
    spec = _file(tmp_path, "parameters: {side: 8}\ninput: [3, side, side]\n"
                 "layers: [{kind: conv, out: 4, kernel: 1}]\n", "side.yaml")
    assert "rho" not in run(spec).stdout
