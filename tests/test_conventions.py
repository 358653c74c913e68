"""Counting-convention profiles: each tool's rule restated here over the ledger quantities, the
tools' own numbers, FLOPs, the tf-slim class count, user YAML profiles and ``costcalc conventions``."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import costcalc
from costcalc.costing import conventions
from costcalc.cli import app
from costcalc.costing.reconcile import reconcile
from costcalc.errors import SpecError, UsageError
from tool_artifacts import export_residual

DATA = Path(__file__).parent / "data"

runner = CliRunner()

# (zoo name, parameters): the PyTorch builds the tools were run on.
MODELS = [
    ("v1", {}), ("v1", {"alpha": "0.5", "resolution": 160}),
    ("v2", {"flavor": "torchvision"}), ("v2", {"flavor": "torchvision", "alpha": "1.4"}),
    ("v2", {"flavor": "torchvision", "alpha": "0.35", "resolution": 160}),
    ("v3-large", {"flavor": "torchvision"}), ("v3-small", {"flavor": "torchvision"}),
    ("v3-small", {"flavor": "torchvision", "alpha": "0.75", "resolution": 160}),
    ("resnet50", {}), ("efficientnet_b0", {}), ("mnasnet1_0", {}), ("shufflenet_v2_x1_0", {}),
    ("squeezenet1_0", {}), ("vgg16", {}),
]


def ledger(model: str, params: dict) -> Counter:
    """Model totals of every recorded quantity (the paper-convention graph)."""
    totals: Counter = Counter()
    for node in costcalc.analyze(model, "paper", **params).graph.nodes:
        totals.update(node.counts)
    return totals


def module_pool(t):
    return t["gap_module_in"]


# Each tool's total as the project's counting-conventions reference states it, written out here
# independently of costcalc/conventions.py. C, Cb, L, Lb: conv/linear multiply-adds and bias
# elements; BN: elements through BatchNorm; pool: global pool input (module = nn.Module pools).
RULES = {
    "paper": lambda t: t["conv_macs"] + t["linear_macs"],
    "torchvision": lambda t: t["conv_macs"] + t["linear_macs"],
    "keras": lambda t: t["conv_macs"] + t["linear_macs"],
    "fvcore": lambda t: t["conv_macs"] + t["linear_macs"] + 2 * t["bn"] + t["gap_in"],
    "ptflops-aten": lambda t: t["conv_macs"] + t["conv_bias"] + t["linear_macs"]
    + t["linear_bias"],
    "ptflops": lambda t: t["conv_macs"] + t["conv_bias"] + t["linear_macs"] + t["linear_bias"]
    + 2 * t["bn"] + 2 * t["act_relu"] + t["act_relu6"] + t["act_swish"] + 2 * t["gap_module_in"]
    + (t["gap_in"] - t["gap_module_in"]) + 2 * t["maxpool_in"] + 2 * t["avgpool_in"],
    "thop": lambda t: t["conv_macs"] + t["linear_macs"] + 4 * t["bn"]
    + t["gap_module_in"] + t["gap_module_out"] + t["avgpool_out"],
    "torchinfo": lambda t: t["conv_macs"] + t["conv_bias"] + t["linear_macs"] + t["linear_bias"]
    + 2 * t["bn_channels"],
    "flopcounter": lambda t: 2 * (t["conv_macs"] + t["linear_macs"]),
    "calflops": lambda t: t["conv_macs"] + t["linear_macs"],
    "calflops-flops": lambda t: 2 * t["conv_macs"] + t["conv_bias"] + 2 * t["linear_macs"]
    + 2 * t["bn"] + t["act_relu"] + t["act_swish"] + t["gap_in"] + t["maxpool_in"]
    + t["avgpool_in"],
    "onnx-tool": lambda t: t["conv_macs"] + t["bn"] + t["conv_bias"] + t["linear_macs"]
    + t["linear_bias"] + t["act_relu"] + 2 * t["act_relu6"] + 5 * t["act_hswish"]
    + 4 * t["act_hsigmoid"] + 32 * t["act_sigmoid"] + 33 * t["act_swish"] + t["add"] + t["mul"]
    + t["gap_in"] + 4 * t["gap_out"] + t["mean_in"] + t["maxpool_window"],
}
# Parameters: every nn.Parameter, except the paper (BN folded away), Keras (running statistics
# too) and onnx-tool (BN folded into one bias per channel).
PARAMS = {
    "paper": lambda t: t["weights"] + t["biases"],
    "tf-slim": lambda t: t["weights"] + t["biases"],
    "keras": lambda t: t["weights"] + t["biases"] + 4 * t["bn_channels"],
    "onnx-tool": lambda t: t["weights"] + t["biases"] + t["bn_channels"],
}


def reported_total(report) -> int:
    rules = report.convention
    return sum(rules.reported(n.counts) for n in report.graph.nodes)


def test_every_profile_of_the_issue_exists_and_is_tested():
    assert set(conventions.BUILT_IN) == set(RULES) | {"tf-slim"}


@pytest.mark.parametrize("model,params", MODELS, ids=[f"{m}-{p}" for m, p in MODELS])
@pytest.mark.parametrize("profile", sorted(RULES))
def test_profile_total_is_its_rule_over_the_ledger(profile, model, params):
    totals = ledger(model, params)
    report = costcalc.analyze(model, profile, **params)
    assert reported_total(report) == RULES[profile](totals)
    expected_params = PARAMS.get(profile, lambda t: t["weights"] + t["biases"]
                                 + 2 * t["bn_channels"])(totals)
    assert report.total.params == expected_params


@pytest.mark.parametrize("model,params", MODELS, ids=[f"{m}-{p}" for m, p in MODELS])
@pytest.mark.parametrize("profile", conventions.BUILT_IN)
def test_flops_are_two_per_multiply_add_plus_single_ops(profile, model, params):
    """FLOPs never fall below 2 x paper, and equal it exactly when the profile charges only
    multiply-adds; the tools with their own FLOP rule (flopcounter, calflops, onnx-tool) keep it."""
    classes = conventions.get(profile).classes
    totals = ledger(model, {**params, "classes": classes} if classes else params)
    report = costcalc.analyze(model, profile, **params)
    paper = totals["conv_macs"] + totals["linear_macs"]
    flops = report.flops()
    if profile == "onnx-tool":
        assert flops == 2 * report.total.macs
    elif profile in ("calflops", "calflops-flops"):
        assert flops == RULES["calflops-flops"](totals)
    else:
        single = report.total.macs - paper  # every extra charge is a single op
        assert flops == 2 * paper + single


def test_unit_names_the_reported_number():
    v2 = costcalc.analyze("v2", "calflops", flavor="torchvision")
    assert reported_total(v2) == v2.total.macs < v2.flops()
    v2 = costcalc.analyze("v2", "calflops-flops", flavor="torchvision")
    assert reported_total(v2) == v2.flops() > v2.total.macs
    v2 = costcalc.analyze("v2", "flopcounter", flavor="torchvision")
    assert reported_total(v2) == v2.flops() == 2 * v2.total.macs


TOOL_PROFILES = ("fvcore", "ptflops-aten", "torchinfo", "flopcounter", "calflops",
                 "calflops-flops", "thop", "ptflops", "onnx-tool")


def _measurements() -> list[dict]:
    return yaml.safe_load((DATA / "tool_counts.yaml").read_text())["measurements"]


def _tool_rows():
    rows = []
    for entry in _measurements():
        for profile, value in entry["tools"].items():
            rows.append(pytest.param(entry["model"], entry["params"], profile, value,
                                     id=f"{entry['model']}-{entry['params']}-{profile}"))
    return rows


@pytest.mark.parametrize("model,params,profile,value", _tool_rows())
def test_reproduces_each_tools_own_output(model, params, profile, value):
    """The number each real tool printed on the PyTorch build of a zoo model
    (tests/crosscheck measured them) is the profile's number, exactly (onnx-tool: plus the
    exporter's chunk arithmetic, see export_residual)."""
    report = costcalc.analyze(model, profile, **params)
    assert reported_total(report) + export_residual(profile, report) == value


def test_export_residual_counts_one_chunk_per_shufflenet_basic_unit():
    """13 stride-1 units (3 + 7 + 3) each split their input once; other zoo models none."""
    assert export_residual("onnx-tool", costcalc.analyze("shufflenet_v2_x1_0")) == 13 * 7
    assert export_residual("onnx-tool", costcalc.analyze("v2")) == 0
    assert export_residual("fvcore", costcalc.analyze("shufflenet_v2_x1_0")) == 0


# Zoo models whose nine tool totals are not recorded yet; the reason is the gap, named.
NOT_YET_MEASURED = {
    **{name: "backbone + head measured with FlopCounterMode, fvcore and ptflops "
       "(tests/crosscheck/test_crosscheck_detseg.py)"
       for name in ("ssdlite320_mobilenet_v3_large", "lraspp_mobilenet_v3_large",
                    "deeplabv3_mobilenet_v3_large", "fasterrcnn_mobilenet_v3_large_320_fpn")},
    **{name: "the MobileNet papers' TensorFlow detectors and segmenters (docs/detection.md): no "
       "PyTorch module to run the tools on; checked against the papers' tables instead"
       for name in ("ssd300_v1", "ssdlite_v1", "ssdlite_v2", "ssdlite_v3_large",
                    "ssdlite_v3_small", "frcnn_v1", "deeplabv3_v1", "deeplabv3_v2",
                    "lraspp_v3_large", "lraspp_v3_small")},
    "maxvit_t": "eight tools reproduced (tests/crosscheck/test_crosscheck_modern.py); onnx-tool "
                "charges the unfoldable pre-norm BatchNormalization 31 per element, which the "
                "bn kind does not model yet",
}


def test_every_zoo_model_and_tool_profile_was_measured():
    """tool_counts.yaml covers each zoo model with every profile that reproduces a tool."""
    from costcalc import zoo

    seen = {}
    for entry in _measurements():
        seen.setdefault(zoo.canonical(entry["model"]), set()).update(entry["tools"])
    assert set(seen) == set(zoo.names()) - set(NOT_YET_MEASURED)
    assert all(tools == set(TOOL_PROFILES) for tools in seen.values()), seen
    assert set(TOOL_PROFILES) == set(conventions.BUILT_IN) - {"paper", "torchvision", "keras",
                                                              "tf-slim"}


def test_tf_slim_has_1001_classes_unless_told():
    fc = costcalc.analyze("v2", "tf-slim").layers[-1]
    assert fc.output == (1001, 1, 1)
    paper = costcalc.analyze("v2")
    assert costcalc.analyze("v2", "tf-slim").total.macs - paper.total.macs == 1280
    assert costcalc.analyze("v2", "tf-slim", classes=1000).total.macs == paper.total.macs


def test_functional_pool_only_in_torchvision_v2():
    """torchvision's v2 pools with F.adaptive_avg_pool2d: hook-based counters do not see it."""
    assert ledger("v2", {"flavor": "torchvision"})["gap_module_in"] == 0
    assert ledger("v2", {})["gap_module_in"] == 62720
    assert ledger("v3-small", {"flavor": "torchvision"})["gap_module_in"] == \
        ledger("v3-small", {"flavor": "torchvision"})["gap_in"]


# ------------------------------------------------------------------ reconciliation
@pytest.mark.parametrize("model,params", MODELS[:8], ids=[f"{m}-{p}" for m, p in MODELS[:8]])
def test_reconciliation_terms_add_up_to_each_difference(model, params):
    results = reconcile(model, {k: str(v) for k, v in params.items()}, list(conventions.BUILT_IN))
    paper = results[0]
    assert paper["convention"] == "paper" and paper["terms"] == [] and paper["difference"] == 0
    for r in results:
        base = paper["reported"] * (2 if r["unit"] == "FLOPs" else 1)
        assert r["reported"] - base == r["difference"] == sum(t["amount"] for t in r["terms"])
        assert r["params"] - paper["params"] == r["params_difference"] == \
            sum(t["amount"] for t in r["params_terms"])


def test_fvcore_is_paper_plus_twice_bn_plus_pool_input():
    results = {r["convention"]: r for r in reconcile("v2", {"flavor": "torchvision"},
                                                     list(conventions.BUILT_IN))}
    totals = ledger("v2", {"flavor": "torchvision"})
    assert [(t["quantity"], t["weight"], t["count"]) for t in results["fvcore"]["terms"]] == \
        [("bn", 2, totals["bn"]), ("gap_in", 1, totals["gap_in"])]
    assert results["tf-slim"]["terms"] == [{"quantity": "classes=1001", "weight": 1,
                                            "count": 1280, "amount": 1280}]


# ------------------------------------------------------------------ user profiles
def write(tmp_path, text: str):
    path = tmp_path / "my-rules.yaml"
    path.write_text(text)
    return str(path)


def test_user_profile_overrides_a_builtin(tmp_path):
    path = write(tmp_path, "base: fvcore\nmacs: {bn: 0, act_relu6: 1}\nparams: {bn_running: 1}\n")
    rules = conventions.get(path)
    assert rules.name == "my-rules"
    totals = ledger("v2", {"flavor": "torchvision"})
    report = costcalc.analyze("v2", path, flavor="torchvision")
    assert report.total.macs == (totals["conv_macs"] + totals["linear_macs"] + totals["gap_in"]
                                 + totals["act_relu6"])
    assert report.total.params == totals["weights"] + totals["biases"] + 4 * totals["bn_channels"]
    # MAC overrides carry into FLOPs: 2 per multiply-add, 1 per single op.
    assert report.flops() == 2 * (totals["conv_macs"] + totals["linear_macs"]) + \
        totals["gap_in"] + totals["act_relu6"]


def test_user_profile_unit_classes_and_flops(tmp_path):
    path = write(tmp_path, "base: paper\nname: mine\nunit: FLOPs\nclasses: 10\n"
                           "flops: {add: 1}\ndescription: paper FLOPs with residual adds\n")
    rules = conventions.get(path)
    assert (rules.name, rules.unit, rules.classes) == ("mine", "FLOPs", 10)
    report = costcalc.analyze("v2", path)
    totals = ledger("v2", {"classes": 10})
    assert report.flops() == 2 * (totals["conv_macs"] + totals["linear_macs"]) + totals["add"]


BAD_PROFILES = [
    ("macs: {bn: 1}\n", "1:1", "missing 'base'"),
    ("base: fvcor\n", "1:7", "unknown base 'fvcor'"),
    ("base: fvcore\nmacs: {bnn: 1}\n", "2:8", "unknown macs quantity 'bnn' (did you mean 'bn'?)"),
    ("base: fvcore\nmacs:\n  bn: -1\n", "3:7", "weight of 'bn' must be a whole number from 0 to 1000"),
    ("base: fvcore\nmacs:\n  bn: two\n", "3:7", "weight of 'bn' must be a whole number from 0 to 1000"),
    ("base: fvcore\nparams: {conv_macs: 1}\n", "2:10", "unknown params quantity 'conv_macs'"),
    ("base: fvcore\nunit: GOPs\n", "2:7", "unit must be one of MACs, FLOPs"),
    ("base: fvcore\nclasses: 0\n", "2:10", "classes must be a whole number >= 1"),
    ("base: fvcore\nweights: {}\n", "2:1", "unknown key 'weights'"),
    ("base: fvcore\nmacs: [bn]\n", "2:7", "'macs' must be a mapping"),
    ("- base: fvcore\n", "1:1", "a convention profile is a YAML mapping"),
    ("base: [fvcore\n", "2:1", "malformed YAML"),
]


@pytest.mark.parametrize("text,where,message", BAD_PROFILES)
def test_bad_profile_is_one_located_line(tmp_path, text, where, message):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        conventions.get(path)
    assert str(info.value).startswith(f"{path}:{where}: ")
    assert message in str(info.value)
    result = runner.invoke(app, ["v2", "--convention", path])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{path}:{where}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_name_and_missing_file():
    with pytest.raises(UsageError, match="did you mean 'fvcore'"):
        conventions.get("fvcor")
    with pytest.raises(SpecError, match="no such file"):
        conventions.get("missing/rules.yaml")


# ------------------------------------------------------------------ command
def conventions_cmd(*args: str, code: int = 0):
    result = runner.invoke(app, ["conventions", *args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "latex"])
def test_conventions_command_renders_every_format(fmt):
    text = conventions_cmd("v2", "--set", "flavor=torchvision", "--format", fmt).stdout
    assert "fvcore" in text and "onnx-tool" in text


def test_conventions_json_and_csv_agree_with_analyze():
    data = json.loads(conventions_cmd("v3-small", "-s", "flavor=torchvision", "-f", "json").stdout)
    assert data["model"] == "mobilenet_v3_small"
    assert data["parameters"]["flavor"] == "torchvision"
    rows = {r["convention"]: r for r in data["conventions"]}
    table = list(csv.DictReader(io.StringIO(
        conventions_cmd("v3-small", "-s", "flavor=torchvision", "-f", "csv").stdout)))
    for line in table:
        report = costcalc.analyze("v3-small", line["convention"], flavor="torchvision")
        assert int(line["reported"]) == reported_total(report)
        assert int(line["params"]) == report.total.params
        assert int(line["flops"]) == report.flops()
    assert [line["convention"] for line in table] == list(conventions.BUILT_IN)
    assert list(rows) == list(conventions.BUILT_IN)
    for line in table:
        row = rows[line["convention"]]
        assert row["reported"] == int(line["reported"])
        assert row["difference"] == sum(t["amount"] for t in row["terms"])


def test_conventions_help_has_examples():
    text = runner.invoke(app, ["conventions", "--help"]).stdout
    assert "Example" in text and "costcalc conventions v2" in text


def test_conventions_terminal_shows_the_reconciliation():
    text = conventions_cmd("v2", "-s", "flavor=torchvision", "--exact").stdout
    line = next(l for l in text.splitlines() if l.startswith("fvcore "))
    assert "314193216" in line and "paper + 2 x bn (6,678,112) + gap_in (62,720)" in line


def test_conventions_with_a_user_profile_and_rules(tmp_path):
    path = write(tmp_path, "base: thop\nmacs: {bn: 0}\n")
    text = conventions_cmd("v1", "-c", path, "-f", "csv").stdout
    assert text.splitlines()[-1].startswith("my-rules,")
    rules = conventions_cmd("--rules", "-f", "csv").stdout
    header = rules.splitlines()[0]
    assert all(name in header for name in conventions.BUILT_IN)
    assert "bn," in conventions_cmd("--rules", "-f", "csv").stdout
    assert "fvcore" in conventions_cmd().stdout


@pytest.mark.parametrize("args,message", [
    (["--rules", "v2"], "--rules takes no MODEL"),
    (["--alpha", "0.5"], "need a MODEL"),
    (["v2", "-c", "nonsense"], "unknown convention 'nonsense'"),
])
def test_conventions_usage_errors(args, message):
    result = conventions_cmd(*args, code=2)
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_user_profile_in_every_command(tmp_path):
    path = write(tmp_path, "base: fvcore\n")
    report = runner.invoke(app, ["v2", "-c", path, "-d", "0", "-f", "json"])
    assert report.exit_code == 0
    assert json.loads(report.stdout)["total"]["macs"] == \
        costcalc.analyze("v2", "fvcore").total.macs


# ------------------------------------------------------------------ how a pool is called
POOL_SPEC = """name: pool-call
input: [3, 8, 8]
layers:
  - {kind: conv, out: 4, kernel: 1}
  - {kind: global_avg_pool, functional: %s}
"""
# Charge of a global average over a 4 x 8 x 8 map (256 elements in, 4 out) per tool, as each
# tool's source counts the call: a module, F.adaptive_avg_pool2d, or x.mean([2, 3]).
POOL_CALLS = [
    ("false", {"fvcore": 256, "ptflops": 2 * 256, "thop": 256 + 4, "calflops-flops": 256,
               "onnx-tool": 256 + 4 * 4, "torchinfo": 0, "flopcounter": 0, "paper": 0}),
    ("true", {"fvcore": 256, "ptflops": 256, "thop": 0, "calflops-flops": 256,
              "onnx-tool": 256 + 4 * 4, "torchinfo": 0, "flopcounter": 0, "paper": 0}),
    ("mean", {"fvcore": 0, "ptflops": 0, "thop": 0, "calflops-flops": 0, "onnx-tool": 256,
              "torchinfo": 0, "flopcounter": 0, "paper": 0}),
    ("\"'mean' if in_channels == 4 else false\"", {"fvcore": 0, "onnx-tool": 256}),
    ("'true'", {"fvcore": 256, "thop": 0}),
]


@pytest.mark.parametrize("functional,charges", POOL_CALLS, ids=[c[0] for c in POOL_CALLS])
def test_pool_call_is_charged_as_each_tool_sees_it(tmp_path, functional, charges):
    path = tmp_path / "pool.yaml"
    path.write_text(POOL_SPEC % functional)
    for profile, charge in charges.items():
        report = costcalc.analyze(str(path), profile)
        pool = report.graph.nodes[-1]
        assert pool.kind == "global_avg_pool"
        assert report.convention.reported(pool.counts) == charge, profile


@pytest.mark.parametrize("functional,message", [
    ("1", "'functional' must be one of false, true, mean; got 1"),
    ("maen", "(did you mean 'mean'?)"),
    ("\"in_channels + 0\"", "'functional' must be one of false, true, mean; got 4"),
])
def test_pool_call_refuses_other_values_at_their_position(tmp_path, functional, message):
    path = tmp_path / "pool.yaml"
    path.write_text(POOL_SPEC % functional)
    with pytest.raises(SpecError) as error:
        costcalc.analyze(str(path))
    assert message in str(error.value)
    assert f"{path}:5:" in str(error.value)


def test_zoo_pools_are_called_as_torchvision_calls_them():
    """MnasNet and ShuffleNet v2 average with x.mean([2, 3]); v2 (torchvision flavour) with
    F.adaptive_avg_pool2d; the others with an nn.AdaptiveAvgPool2d module."""
    for model in ("mnasnet1_0", "shufflenet_v2_x1_0"):
        totals = ledger(model, {})
        assert totals["mean_in"] > 0 and totals["gap_in"] == totals["gap_module_in"] == 0
    totals = ledger("v2", {"flavor": "torchvision"})
    assert totals["gap_in"] > 0 and totals["gap_module_in"] == totals["mean_in"] == 0
    for model in ("efficientnet_b0", "resnet50", "squeezenet1_1", "v3-small"):
        totals = ledger(model, {})
        assert totals["gap_module_in"] == totals["gap_in"] > 0 and totals["mean_in"] == 0
