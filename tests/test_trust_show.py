"""No silently wrong number: show round trips, one meaning per parameter, located refusals."""
from __future__ import annotations

import functools
import json
from fractions import Fraction

import pytest
import yaml

import costcalc
from costcalc import numbers, zoo

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
    "depth": ["8", "13"], "w_0": ["16", "40"], "w_a": ["12.5", "36.44"], "w_m": ["2.25", "3"],
    "group_width": ["8", "24"], "bottleneck": ["1/2", "2"], "stem_width": ["16"],
    "anchors": ["4", "9"], "extra_width": ["0.5", "1.5"], "representation": ["512"],
    "proposals": ["0", "10"],
}
# Models built only at some values: every MaxViT-T stage grid a multiple of 7, as torchvision
# requires (tests/test_trust_params.py)
MODEL_VALUES = {("maxvit_t", "resolution"): ["221", "448"]}


def _values(param) -> list[str]:
    if param.choices is not None:
        return [numbers.format_number(c) if numbers.is_exact(c) else str(c)
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
            values = MODEL_VALUES.get((model, name)) or _values(param)
            cases += [(model, name, value) for value in values]
    return cases


CASES = _cases()


def test_every_zoo_parameter_has_values():
    missing = [f"{m}.{n}" for m in zoo.names() for n, p in costcalc.load(m).parameters.items()
               if p.type == "number" and p.choices is None and n not in NUMBER_VALUES]
    assert not missing


def _rows(report) -> list[tuple]:
    """Every node's name, kind, shape and recorded quantities (what every convention weighs)."""
    return [(r.name, r.kind, r.output, r.macs, r.params, r.activations, r.node.counts)
            for r in report.layers]


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
    other_value = "7" if other == "classes" else MODEL_VALUES.get((model, other), ["128"])[0]
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


# ------------------------------------------------------------------ refusals, located
def one(entry: str, head: str = "input: [3, 8, 8]\n") -> str:
    return head + "layers:\n  - " + entry + "\n"


# (case, spec text, extra arguments, line:col, message start)
REFUSED = [
    # duplicate layer names: rows, formula terms and memory are keyed by name
    ("duplicate names", "input: [3, 8, 8]\nlayers:\n  - {kind: conv, out: 4, kernel: 1, name: a}\n"
     "  - {kind: conv, out: 4, kernel: 1, name: a}\n", [], "4:5", "layer name 'a' is used twice"),
    ("name equal to an automatic name", "input: [3, 8, 8]\nlayers:\n  - {kind: conv, out: 4, kernel: 1}\n"
     "  - {kind: conv, out: 4, kernel: 1, name: conv0}\n", [], "4:5", "layer name 'conv0'"),
    ("duplicate names in a block", "input: [3, 8, 8]\nblocks:\n  b:\n    layers:\n"
     "      - {kind: conv, out: 4, kernel: 1, name: x}\n      - {kind: conv, out: 4, kernel: 1, name: x}\n"
     "layers:\n  - {kind: b}\n", [], "6:9", "layer name 'b0.x' is used twice"),
    ("name equal to a repeated layer's", "input: [3, 8, 8]\nlayers:\n"
     "  - {kind: conv, out: 4, kernel: 1, repeat: 2}\n  - {kind: conv, out: 4, kernel: 1, name: conv1}\n",
     [], "4:5", "layer name 'conv1' is used twice (first at line 3)"),
    # input given twice over
    ("size with height", "input: {channels: 3, size: 8, height: 5}\nlayers: []\n", [], "1:31",
     "input: give either 'size' or 'height' and 'width'"),
    ("size with height and width", "input: {channels: 3, size: 8, height: 5, width: 7}\nlayers: []\n",
     [], "1:31", "input: give either 'size'"),
    ("size with width", "input: {channels: 3, width: 7, size: 8}\nlayers: []\n", [], "1:22",
     "input: give either 'size'"),
    # names are read after Unicode NFKC, as Python reads identifiers
    ("mathematical bold A", "parameters: {A: 1, \U0001d400: 2}\ninput: [3, 8, 8]\nlayers: []\n", [],
     "1:20", "'\U0001d400' is not in Unicode normal form (NFKC); write it as 'A'"),
    ("ligature", "parameters: {\ufb01lter: 1}\ninput: [3, 8, 8]\nlayers: []\n", [], "1:14",
     "'\ufb01lter' is not in Unicode normal form"),
    ("fullwidth let name", "parameters: {a: 1}\nlet: {\uff42: a}\ninput: [3, 8, 8]\nlayers: []\n", [],
     "2:7", "'\uff42' is not in Unicode normal form"),
    ("block parameter", "input: [3, 8, 8]\nblocks:\n  b:\n    parameters: {\u212bngstrom: 1}\n"
     "    layers: []\nlayers: []\n", [], "4:18", "'\u212bngstrom' is not in Unicode normal form"),
    # a spec's own res would mean one thing to --set res and another to --res
    ("parameter named res", "parameters: {res: 8}\ninput: [3, res, res]\nlayers: []\n", [], "1:14",
     "parameter name 'res' is reserved"),
    # YAML 1.1 numbers that read unlike their digits
    ("octal", one("{kind: conv, out: 010, kernel: 1}"), [], "3:23", "number '010' has a leading zero, which YAML 1.1 reads as octal"),
    ("negative octal", one("{kind: conv, out: 4, kernel: 1, padding: -01}"), [], "3:46",
     "number '-01' has a leading zero"),
    ("octal input", "input: [3, 010, 8]\nlayers: []\n", [], "1:12", "number '010'"),
    ("sexagesimal", one("{kind: conv, out: 1:00, kernel: 1}"), [], "3:23",
     "number '1:00' is base 60 in YAML 1.1"),
    ("sexagesimal float", "parameters: {alpha: 1:30.5}\ninput: [3, 8, 8]\nlayers: []\n", [], "1:21",
     "number '1:30.5' is base 60 in YAML 1.1"),
    ("sexagesimal default", "parameters: {n: {default: 1:00}}\ninput: [3, 8, 8]\nlayers: []\n", [],
     "1:27", "number '1:00'"),
    # only what PyTorch / Keras accept
    ("max-pool padding above half the kernel", one("{kind: maxpool, kernel: 3, padding: 2}"), [],
     "3:5", "maxpool 'pool0': maxpool padding 2 is more than half the kernel 3"),
    ("avg-pool padding above half the kernel", one("{kind: avgpool, kernel: 2, padding: 2}"), [],
     "3:5", "avgpool 'pool0': avgpool padding 2 is more than half the kernel 2"),
    ("pool padding from a parameter", one("{kind: maxpool, kernel: 1, padding: p}",
                                          "parameters: {p: 0}\ninput: [3, 8, 8]\n"),
     ["--set", "p=1"], "4:5", "maxpool 'pool0': maxpool padding 1 is more than half the kernel 1"),
    ("dropout p = 1", one("{kind: dropout, p: 1}"), [], "3:24", "'p' must be less than 1, got 1"),
    ("dropout p above 1", one("{kind: dropout, p: 1.5}"), [], "3:24", "'p' must be less than 1"),
    ("dropout p below 0", one("{kind: dropout, p: -0.5}"), [], "3:24", "'p' must not be negative"),
]


@pytest.mark.parametrize("case, text, args, where, message", REFUSED, ids=[c[0] for c in REFUSED])
@pytest.mark.parametrize("command", ["report", "validate", "memory"])
def test_refused_with_a_located_one_line_error(case, text, args, where, message, command,
                                                tmp_path):
    path = _file(tmp_path, text, "spec.yaml")
    prefix = [] if command == "report" else [command]
    result = run(*prefix, path, *args, code=2)
    if command == "validate":  # every problem, one per line, each located
        assert f"spec.yaml:{where}: {message}" in result.stderr, result.stderr
        return
    _one_line_error(result, f"spec.yaml:{where}: {message}")


ACCEPTED = [
    one("{kind: maxpool, kernel: 3, padding: 1}"), one("{kind: avgpool, kernel: 2, padding: 1}"),
    one("{kind: maxpool, kernel: 1, padding: 0}"), one("{kind: dropout, p: 0}"),
    one("{kind: dropout, p: 0.999}"), one("{kind: conv, out: 0x10, kernel: 1}"),
    one("{kind: conv, out: 1_0, kernel: 1}"), one("{kind: conv, out: 10, kernel: 1, padding: 0}"),
    one("{kind: conv, out: '0o10', kernel: 1}"), "input: {channels: 3, size: 8}\nlayers: []\n",
    "input: {channels: 3, height: 5, width: 7}\nlayers: []\n",
    "parameters: {A: 1, B: 2}\ninput: [3, 8, 8]\nlayers: []\n",
    "description: '1:00'\ninput: [3, 8, 8]\nlayers: []\n",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_neighbours_of_the_refused(text, tmp_path):
    run(_file(tmp_path, text, "spec.yaml"))


def test_names_on_the_command_line_are_read_after_nfkc(tmp_path):
    spec = _file(tmp_path, "parameters: {A: 4}\ninput: [3, 8, 8]\nlayers: [{kind: conv, out: A, "
                 "kernel: 1}]\n", "spec.yaml")
    assert costcalc.analyze(spec, **{"\U0001d400": 6}).total == costcalc.analyze(spec, A=6).total
    assert costcalc.analyze(spec, A=6).total != costcalc.analyze(spec).total


@pytest.mark.parametrize("text, where", [("base: paper\nname: paper\nmacs: {bn: 1}\n", "2:7"),
                                         ("base: fvcore\nname: FVCORE\n", "2:7"),
                                         ("base: fvcore\nmacs: {bn: 1}\n", "1:1")])
@pytest.mark.parametrize("command", [[], ["conventions"]])
def test_a_profile_named_like_a_built_in_is_refused(text, where, command, tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    path = folder / "paper.yaml"  # without a name: the file name is the profile's name
    path.write_text(text)
    result = run(*command, "v2", "-c", str(path), code=2)
    _one_line_error(result, f"paper.yaml:{where}: profile name")
    assert "is the name of a built-in profile" in result.stderr


# ------------------------------------------------------------------ resnet50's width
# torchvision resnet.py Wide_ResNet50_2_Weights.IMAGENET1K_V1 meta: num_params 68,883,240,
# _ops 11.398 (GMACs); the same file's Bottleneck keeps its output at planes * 4 whatever the
# width_per_group. (The full published check is in test_reference_models.PUBLISHED.)
@pytest.mark.parametrize("width", [64, 128, 96])
def test_resnet50_width_scales_the_bottleneck_inside_only(width):
    graph = costcalc.analyze("resnet50", width=width).graph
    shapes = {n.name: n.shape for n in graph.nodes}
    for stage, planes in (("layer1", 64), ("layer2", 128), ("layer3", 256), ("layer4", 512)):
        inner = [s.c for name, s in shapes.items() if name.startswith(f"{stage}.")
                 and ".conv" in name][:2]
        assert inner == [planes * width // 64] * 2
        assert shapes[f"{stage}.0.add"].c == 4 * planes


def test_wide_resnet50_2_is_resnet50_at_width_128():
    total = costcalc.analyze("resnet50", "torchvision", width=128).total
    assert total.params == 68_883_240
    assert round(Fraction(total.macs, 10**9), 3) == Fraction("11.398")


@pytest.mark.parametrize("args", [["--set", "A=5", "--set", "\U0001d400=6"],
                                  ["--set", "\uff21=5", "--set", "A=6"]], ids=["bold", "fullwidth"])
def test_two_spellings_of_one_name_given_different_values_are_refused(args, tmp_path):
    spec = _file(tmp_path, "parameters: {A: 4}\ninput: [3, 8, 8]\nlayers: [{kind: conv, out: A, "
                 "kernel: 1}]\n", "spec.yaml")
    _one_line_error(run(spec, *args, code=2), "parameter 'A' is given twice")
    with pytest.raises(costcalc.errors.UsageError, match="given twice"):
        costcalc.analyze(spec, **{"A": 5, "\U0001d400": 6})
