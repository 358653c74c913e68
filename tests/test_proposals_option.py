"""``--proposals N``: the same output as ``--set proposals=N`` on every command that takes a
MODEL, a change of the count where the model has an ROI / second-stage head, and a one-line
error (exit 2) naming the zoo models that have one everywhere else."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import costcalc
from tests.cli_runner import run

FRCNN = "fasterrcnn_mobilenet_v3_large_320_fpn"
# the zoo specs that declare `proposals` (configs/frcnn_v1.yaml and the torchvision Faster R-CNN)
HAVING = f"{FRCNN}, frcnn_v1"

# (id, command and its other options, N): run once with --proposals N, once with --set
# proposals=N; compare and sweep take a list of values
COMMANDS = [
    ("report", ["report", FRCNN, "--depth", "0"], "150"),
    ("report-implicit-json", [FRCNN, "--depth", "1", "--format", "json"], "7"),
    ("report-frcnn-v1", ["report", "frcnn_v1", "--depth", "1", "--exact"], "10"),
    ("compare", ["compare", "frcnn_v1", FRCNN], "5"),
    ("compare-list", ["compare", FRCNN, "--format", "csv"], "0,1,150"),
    ("sweep", ["sweep", "frcnn_v1", "--res", "300,600"], "0,300"),
    ("conventions", ["conventions", FRCNN], "2"),
    ("memory", ["memory", "frcnn_v1"], "4"),
    ("latency", ["latency", "frcnn_v1", "--device", "pixel3-cpu4-tflite"], "3"),
    ("formula", ["formula", FRCNN], "2"),
    ("formula-latency", ["formula", "frcnn_v1", "--latency"], "3"),
    ("show", ["show", FRCNN], "3"),
    ("validate", ["validate", "frcnn_v1"], "10"),
    ("validate-json", ["validate", FRCNN, "--format", "json"], "2"),
    ("solve", ["solve", "frcnn_v1", "--macs", "30G"], "100"),
    ("solve-resolution", ["solve", FRCNN, "--alpha", "1", "--macs", "5G"], "150"),
    ("solve-latency", ["solve", "frcnn_v1", "--latency", "900ms", "--device",
                       "pixel3-cpu4-tflite"], "30"),
]


@pytest.mark.parametrize("args,n", [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_proposals_is_set_proposals(args, n):
    by_flag = run(*args, "--proposals", n).stdout
    assert by_flag == run(*args, "--set", f"proposals={n}").stdout
    # and it is not the default: the flag reached the model
    assert by_flag != run(*args).stdout


@pytest.mark.parametrize("model,n", [(FRCNN, 0), (FRCNN, 1), (FRCNN, 150), ("frcnn_v1", 0),
                                     ("frcnn_v1", 300)])
def test_proposals_counts_the_head_for_n_proposals(model, n):
    shown = json.loads(run(model, "--depth", "0", "--format", "json", "--proposals",
                           str(n)).stdout)
    assert shown["total"]["macs"] == costcalc.analyze(model, proposals=n).total.macs


def test_fast_path_reads_proposals():
    """``costcalc MODEL --proposals N`` (answered without typer) prints typer's report."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    fast = subprocess.run([sys.executable, "-m", "costcalc", "frcnn_v1", "--depth", "0",
                           "--proposals", "5"], capture_output=True, text=True, env=env)
    assert fast.returncode == 0, fast.stderr
    assert fast.stdout == run("report", "frcnn_v1", "--depth", "0", "--set",
                              "proposals=5").stdout


# (id, arguments): every command refuses --proposals on a model without the parameter
REFUSED = [
    ("report", ["v2", "--proposals", "3"], "mobilenet_v2"),
    ("report-typer", ["report", "ssdlite320_mobilenet_v3_large", "--proposals", "3"],
     "ssdlite320_mobilenet_v3_large"),
    ("compare-second-model", ["compare", "frcnn_v1", "v1", "--proposals", "3"], "mobilenet_v1"),
    ("compare-variant", ["compare", "v3-small:alpha=0.75", "--proposals", "3"],
     "mobilenet_v3_small"),
    ("sweep", ["sweep", "ssdlite_v2", "--proposals", "1,2"], "ssdlite_v2"),
    ("conventions", ["conventions", "v1", "--proposals", "3"], "mobilenet_v1"),
    ("memory", ["memory", "v2", "--proposals", "3"], "mobilenet_v2"),
    ("latency", ["latency", "v1", "--device", "pixel3-cpu4-tflite", "--proposals", "3"],
     "mobilenet_v1"),
    ("formula", ["formula", "deeplabv3_v2", "--proposals", "3"], "deeplabv3_v2"),
    ("show", ["show", "v1", "--proposals", "3"], "mobilenet_v1"),
    ("validate", ["validate", "v1", "--proposals", "3"], "mobilenet_v1"),
    ("solve", ["solve", "v2", "--macs", "100M", "--proposals", "3"], "mobilenet_v2"),
    ("import", ["import", "v2", "--proposals", "3"], "mobilenet_v2"),
    ("plot", ["plot", "layers", "v2", "--out", "never.svg", "--proposals", "3"], "mobilenet_v2"),
    ("plot-list", ["plot", "sweep", "frcnn_v1", "v1", "--out", "never.svg", "--proposals",
                   "1,2"], "mobilenet_v1"),
]


@pytest.mark.parametrize("args,name", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_proposals_refused_without_the_parameter(args, name):
    result = run(*args, code=2)
    assert result.stdout == ""
    assert result.stderr == (f"error: --proposals: {name} has no parameter 'proposals'; "
                             f"zoo models with one: {HAVING}\n")


@pytest.mark.parametrize("args,message", [
    ([FRCNN, "--proposals", "-1"], "parameter 'proposals' must be at least 0, got -1"),
    (["frcnn_v1", "--proposals", "2", "--set", "proposals=3"],
     "parameter 'proposals' is given twice with different values (--set proposals=3 and "
     "--proposals 2); give it once"),
    (["compare", "frcnn_v1", "--proposals", "2", "--set", "proposals=3"],
     "parameter 'proposals' is given twice with different values (its option and --set "
     "proposals=3); give it once"),
    (["conventions", "--proposals", "3"],
     "--alpha, --res, --classes, --proposals, --set, --input and --allow-unknown need a MODEL"),
])
def test_proposals_bad_values(args, message):
    result = run(*args, code=2)
    assert result.stderr == f"error: {message}\n"


def test_report_says_where_the_flag_applies():
    notes = " ".join(costcalc.analyze(FRCNN).graph.notes + costcalc.analyze("frcnn_v1").graph.notes)
    assert notes.count("--proposals N") == 2


@pytest.mark.parametrize("args,n", [(["layers", "frcnn_v1"], "10"),
                                    (["sweep", FRCNN, "--alpha", "0.5,1"], "0,150")],
                         ids=["layers", "sweep-list"])
def test_plot_takes_proposals_as_set_proposals(tmp_path, args, n):
    files = {}
    for label, extra in (("flag", ["--proposals", n]), ("set", ["--set", f"proposals={n}"]),
                         ("default", [])):
        path = tmp_path / f"{label}.svg"
        run("plot", *args, "--out", str(path), *extra)
        files[label] = path.read_bytes()
    assert files["flag"] == files["set"] != files["default"]


# --symbols proposals: the head's cost per proposal in closed form. Both specs branch on
# `proposals > 0` (the second stage runs), which holds for every positive symbol.
@pytest.mark.parametrize("model", ["frcnn_v1", FRCNN])
def test_symbols_proposals_gives_the_cost_per_proposal(model):
    import sympy

    from costcalc.symbolic.derive import derive

    total = derive(costcalc.load(model), {"alpha": "1"}, "paper", ["proposals"]).macs
    symbol = next(s for s in total.free_symbols if s.name == "proposals")
    alpha = next(s for s in total.free_symbols if s.name == "alpha")
    per_proposal = sympy.diff(total, symbol).subs(alpha, 1)
    one, two = (costcalc.analyze(model, proposals=n).total.macs for n in (1, 2))
    assert per_proposal == two - one
    out = run("formula", model, "--symbols", "proposals").stdout
    assert "proposals" in out


def test_import_takes_proposals_as_set_proposals():
    # the first stage alone has a spec form; the ROI crops of a second stage have none yet
    assert run("import", "frcnn_v1", "--proposals", "0").stdout == \
        run("import", "frcnn_v1", "--set", "proposals=0").stdout
    assert run("import", "frcnn_v1", "--proposals", "2", code=2).stderr == \
        run("import", "frcnn_v1", "--set", "proposals=2", code=2).stderr
