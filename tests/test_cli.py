"""The command line: report golden files in every format, exit codes and stderr, and agreement
between the table, CSV and JSON outputs."""
from __future__ import annotations

import csv
import io
import json
import re
from fractions import Fraction
from types import SimpleNamespace

import pytest

import costcalc
from costcalc.costing.breakdown import by_op_class
from costcalc.costing.report_table import blocks

from cli_runner import run

FORMATS = ("table", "json", "csv", "markdown", "latex")


# ------------------------------------------------------------------ golden files
REPORTS = [
    # (golden name, arguments)
    *[(f"report_v2_a0.5_r160.{fmt}", ["v2", "--alpha", "0.5", "--res", "160", "--format", fmt])
      for fmt in FORMATS],
    ("report_v2_a0.5_r160_exact.table", ["v2", "--alpha", "0.5", "--res", "160", "--exact"]),
    ("report_v1_depth1.table", ["report", "v1", "--depth", "1"]),
    ("report_v1_depth0_flops.table", ["v1", "--depth", "0", "--flops"]),
    ("report_v3_small_depth1.markdown", ["v3-small", "-d", "1", "-f", "markdown"]),
    ("report_resnet50_torchvision_depth1.table", ["resnet50", "-c", "torchvision", "-d", "1"]),
]


@pytest.mark.parametrize("name, args", REPORTS, ids=[n for n, _ in REPORTS])
def test_report_golden(name, args, golden):
    golden(name, run(*args).stdout)


# ------------------------------------------------------------------ exit codes and stderr
ERRORS = [
    # (arguments, text expected in the one stderr line)
    (["nosuch"], "unknown model 'nosuch'"),
    (["v2", "--set", "alhpa=0.5"], "valid parameters: alpha, resolution, classes, t, flavor"),
    (["v2", "--set", "alpha"], "--set takes NAME=VALUE"),
    (["v2", "--alpha", "zero"], "parameter 'alpha' takes a number"),
    (["v2", "--alpha", "-1"], "must be more than 0"),
    (["v2", "--depth", "-1"], "--depth must be 0, 1 or 2"),
    (["v2", "--format", "pdf"], "pdf"),
    (["v2", "--convention", "papr"], "did you mean 'paper'"),
    (["compare", "v2:alpha"], "expected NAME=VALUE"),
    (["compare", "v1", "v2", "--baseline", "v9"], "--baseline 'v9' matches no row"),
    (["compare", "v1", "v2", "--sort", "speed"], "--sort: unknown column 'speed'"),
    (["compare", "v2", "--alpha", "0.5,,1"], "--alpha takes comma-separated values"),
    (["compare", "vgg16", "--alpha", "0.5"], "has no parameter 'alpha'"),
    (["sweep", "v1"], "sweep needs at least one axis"),
    (["show", "v2", "--set", "nope=1"], "has no parameter 'nope'"),
]


@pytest.mark.parametrize("args, message", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_bad_input_is_one_line_on_stderr_and_exit_2(args, message):
    result = run(*args, code=2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_spec_error_points_at_file_line_column(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3, 32, 32]\nlayers:\n  - {kind: conv, out: 8, kernle: 3}\n")
    result = run(str(spec), code=2)
    assert re.match(rf"error: {re.escape(str(spec))}:3:\d+: conv: unknown key 'kernle'",
                    result.stderr)


COMMANDS = ["report", "compare", "sweep", "list", "show"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    text = run(command, "--help").stdout
    assert "Example" in text and f"costcalc {command if command != 'report' else ''}" in text


def test_version_and_completion():
    assert re.fullmatch(r"costcalc \d+\.\d+\S*\n", run("--version").stdout)
    assert "--install-completion" in run("--help").stdout


def test_plain_output_in_a_pipe_and_colour_only_on_a_terminal(monkeypatch):
    from costcalc.render import render
    from costcalc.costing.report_table import report_table

    out = run("v1", "-d", "1").stdout  # CliRunner's stdout is not a terminal
    assert "\x1b[" not in out and not set("│┃━─┏") & set(out)
    table = report_table(costcalc.analyze("v1"), depth=1)
    assert "\x1b[" in render(table, "table", color=True)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert "\x1b[" not in render(table, "table")


# ------------------------------------------------------------------ CSV, JSON and table agree
AGREEMENT = [["v1"], ["v2", "--alpha", "0.5", "--res", "160"], ["v3-small"],
             ["v3-large", "--set", "flavor=torchvision", "--alpha", "0.75"],
             ["resnet50", "--convention", "keras"], ["vgg16", "--res", "112"]]


@pytest.mark.parametrize("args", AGREEMENT, ids=[" ".join(a) for a in AGREEMENT])
def test_csv_json_and_table_agree(args):
    data = json.loads(run(*args, "--format", "json").stdout)
    records = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv").stdout)))
    text = run(*args, "--exact").stdout
    keys = ("macs", "params", "activations")

    # JSON: the #2 contract, and layers sum to the total.
    assert {"model", "parameters", "convention", "layers", "total"} <= set(data)
    for layer in data["layers"]:
        assert {"name", "kind", "output", "macs", "params", "activations"} <= set(layer)
        assert len(layer["output"]) == 3
    total = data["total"]
    for key in keys:
        assert sum(layer[key] for layer in data["layers"]) == total[key]
        assert sum(block[key] for block in data["blocks"]) == total[key]

    # CSV: layer rows sum to the total row; each subtotal is the sum of its layers.
    layers = [r for r in records if r["row"] == "row"]
    assert [r["name"] for r in layers] == [layer["name"] for layer in data["layers"]]
    (total_row,) = [r for r in records if r["row"] == "total"]
    for key in keys:
        assert int(total_row[key]) == total[key] == sum(int(r[key]) for r in layers)
    for sub in (r for r in records if r["row"] == "subtotal"):
        members = [r for r in layers if r["name"].split(".")[0] == sub["name"]]
        assert int(sub["macs"]) == sum(int(r["macs"]) for r in members)
    for record, layer in zip(layers, data["layers"]):
        assert (int(record["macs"]), int(record["params"])) == (layer["macs"], layer["params"])

    # Table: the total row and the footer print the same exact integers.
    total_line = next(line for line in text.splitlines() if line.startswith("total "))
    numbers = [int(n) for n in total_line.split() if n.isdigit()]
    assert numbers == [total["macs"], total["params"], total["activations"]]
    assert f"total: {total['macs']:,} MACs" in text


def test_flops_are_labelled_and_twice_the_macs_under_paper():
    data = json.loads(run("v2", "--flops", "--format", "json").stdout)
    assert data["total"]["flops"] == 2 * data["total"]["macs"]
    assert all(layer["flops"] == 2 * layer["macs"] for layer in data["layers"])
    text = run("v2", "--flops", "-d", "0").stdout
    assert "FLOPs" in text.splitlines()[2] and "FLOPs = 2 x MACs" in text


def test_footer_names_convention_and_every_resolved_parameter():
    text = run("v2", "--alpha", "0.5", "--res", "160", "--set", "flavor=torchvision").stdout
    assert ("parameters: alpha=0.5, resolution=160 (rho=0.7143 = 160/224), classes=1000, t=6, "
            "flavor=torchvision") in text
    assert "convention: paper:" in text


# ------------------------------------------------------------------ v1 Table 2 and the ratios
# Howard et al. 2017, arXiv:1704.04861, Table 2 "Resource per layer type": mult-adds
# Conv 1x1 94.86 %, Conv DW 3x3 3.06 %, Conv 3x3 1.19 %, Fully Connected 0.18 %;
# parameters 74.59 %, 1.06 %, 0.02 %, 24.33 %.
# Erratum: the printed 1.19 % for Conv 3x3 is 1.91 % with its digits swapped: 10,838,016 MACs of
# the first conv over 568,740,352 in total is 1.906 %, and the four shares only sum to 100 %
# with 1.91 (94.86 + 3.06 + 1.91 + 0.18 = 100.01; with 1.19 they sum to 99.29).
TABLE2_MACS = {"pointwise": 94.86, "depthwise": 3.06, "standard conv": 1.91,
               "fully connected": 0.18}
TABLE2_PARAMS_WEIGHTS_ONLY = {"pointwise": 74.59, "depthwise": 1.06, "standard conv": 0.02,
                              "fully connected": 24.33}


def test_op_class_breakdown_is_v1_table_2():
    report = costcalc.analyze("v1")
    shares = {label: round(float(share) * 100, 2)
              for label, _, share in by_op_class(report.layers, "macs")}
    assert shares == TABLE2_MACS
    assert abs(1.19 - shares["standard conv"]) > 0.5  # the printed value is the erratum
    assert "MACs by op class: pointwise 94.86%, depthwise 3.06%, standard conv 1.91%, " \
           "fully connected 0.18%" in run("v1").stdout
    # The paper's parameter shares count weights only (no FC bias).
    weights = [SimpleNamespace(op_class=r.op_class, weights=r.node.counts.get("weights", 0))
               for r in report.layers]
    shares = {label: round(float(share) * 100, 2)
              for label, _, share in by_op_class(weights, "weights")}
    assert shares == TABLE2_PARAMS_WEIGHTS_ONLY


def test_separable_pair_ratio_is_the_notes_formula_in_every_v1_block():
    report = costcalc.analyze("v1", alpha=Fraction(3, 4), resolution=192)
    found = [b for b in blocks(report) if b.ratio is not None]
    assert len(found) == 13
    for block in found:
        dw, pw = block.rows
        n, k = pw.output[0], dw.node.info["kernel"]
        assert block.ratio.pair == block.ratio.formula == Fraction(1, n) + Fraction(1, k * k)
        assert block.ratio.block == block.ratio.pair  # v1 blocks are exactly the pair


def test_inverted_residual_ratio_matches_the_notes_block_cost():
    # Notes: stride-1 block cost D_F^2 M t (M + K^2 + N) against a standard conv D_F^2 M N K^2.
    report = costcalc.analyze("v2")
    checked = 0
    for block in blocks(report):
        ratio = block.ratio
        if ratio is None or block.rows[0].name.rsplit(".", 1)[-1] != "expand":
            continue
        dw = next(r for r in block.rows if r.op_class == "depthwise")
        if dw.node.info["stride"] != 1:
            continue
        m = block.rows[0].node.info["in_channels"]
        t = Fraction(dw.output[0], m)
        k, n = dw.node.info["kernel"], ratio.outputs
        assert ratio.block == t * (m + k * k + n) / (n * k * k)
        checked += 1
    assert checked == 12


@pytest.mark.parametrize("convention, shown", [("flopcounter", True), ("calflops-flops", True),
                                               ("paper", False), ("fvcore", False)])
def test_flop_unit_conventions_show_their_flops_column(convention, shown):
    data = json.loads(run("v2", "-c", convention, "--format", "json").stdout)
    assert ("flops" in data["layers"][0]) is shown
