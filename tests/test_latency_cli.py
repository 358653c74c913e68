"""``costcalc latency``: per-layer tables in every format, calibration, and one-line errors."""
import json
from pathlib import Path

import pytest

from cli_runner import run, runner
from costcalc.cli import app

from conftest import DATA

FORMATS = ["table", "json", "csv", "markdown", "latex"]
ARGS = ["latency", "v1", "--device", "pixel3-cpu4-tflite", "--alpha", "0.5", "--res", "160"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(golden, fmt):
    golden(f"latency_v1_pixel3.{fmt}", run(*ARGS, "--format", fmt).stdout)


@pytest.mark.parametrize("device", ["pixel3-cpu4-tflite", "gtx1060-caffe", "h100-sxm-batch1",
                                    "desktop-i7-8700k"])
@pytest.mark.parametrize("model", ["v1", "v2", "v3-small", "shufflenet_v2_x1_0", "resnet50"])
def test_layers_sum_to_the_total(model, device):
    data = json.loads(run("latency", model, "--device", device, "-f", "json").stdout)
    layers = data["layers"]
    total = data["fixed_ms"] + sum(r["time_us"] for r in layers) / 1e3
    assert data["total_ms"] == pytest.approx(total, rel=1e-6)
    assert data["macs"] == sum(r["macs"] for r in layers)
    for r in layers:
        assert isinstance(r["work"], int) and isinstance(r["bytes"], int)
        expected = max(r["compute_us"], r["memory_us"]) + r["launch_us"]
        assert r["time_us"] == pytest.approx(expected, abs=2e-3)


def test_macs_match_the_report():
    report = json.loads(run("v2", "-f", "json").stdout)
    data = json.loads(run("latency", "v2", "--device", "pixel3-cpu4-tflite", "-f", "json").stdout)
    assert data["macs"] == report["total"]["macs"]


@pytest.mark.parametrize("option,value", [("--dtype", "int8"), ("--fusion", "none"),
                                          ("--fusion", "block"), ("--runtime", "direct"),
                                          ("--runtime", "caffe-group")])
def test_options_change_the_prediction(option, value):
    base = json.loads(run(*ARGS, "-f", "json").stdout)
    changed = json.loads(run(*ARGS, option, value, "-f", "json").stdout)
    assert changed[option[2:]] == value
    assert changed["total_ms"] != base["total_ms"]


def test_sources_lists_every_field():
    out = run("latency", "v1", "--device", "h100-sxm-batch1", "--sources", "-f", "csv").stdout
    assert "peak.fp16" in out and "NVIDIA H100 datasheet" in out and "t_launch" in out


def _one_line(result, expected: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected), f"\n{lines[0]}\n{expected}"


USAGE_CASES = [
    ("no device", ["latency", "v1"], "error: --device is required"),
    ("unknown device", ["latency", "v1", "--device", "pixel3"], "error: unknown device 'pixel3'"),
    ("unknown dtype", ["latency", "v1", "--device", "pixel3-cpu4-tflite", "--dtype", "fp64"],
     "error: unknown dtype 'fp64'"),
    ("dtype without a peak", ["latency", "v1", "--device", "pixel1-bigcore-tflite", "--dtype",
                              "int8"], "error: device 'pixel1-bigcore-tflite' has no int8 peak"),
    ("bad fusion", ["latency", "v1", "--device", "h100-sxm-batch1", "--fusion", "bn"],
     "error: unknown fusion 'bn'"),
    ("bad runtime", ["latency", "v1", "--device", "h100-sxm-batch1", "--runtime", "caffe"],
     "error: unknown runtime 'caffe' (did you mean 'caffe-group'?)"),
    ("fit without calibrate", ["latency", "v1", "--device", "h100-sxm-batch1", "--fit",
                               "t_fixed"], "error: --fit goes with"),
    ("calibrate without csv", ["latency", "calibrate", "--device", "h100-sxm-batch1"],
     "error: calibrate needs a CSV file"),
    ("bad model parameter", ["latency", "v1", "--device", "h100-sxm-batch1", "--alpha", "x"],
     "error:"),
]


@pytest.mark.parametrize("case,args,expected", USAGE_CASES, ids=[c[0] for c in USAGE_CASES])
def test_usage_errors(case, args, expected):
    _one_line(runner.invoke(app, args), expected)


GOOD = """name: mine
peak:
  fp32: {value: 10, source: "datasheet"}
bandwidth: {value: 5, source: "datasheet"}
eta:
  conv: {value: 0.5, source: "guess"}
  depthwise: {value: 0.5, source: "guess"}
  pointwise: {value: 0.5, source: "guess"}
  linear: {value: 0.5, source: "guess"}
  elementwise: {value: 0.5, source: "guess"}
eta_memory: {value: 1, source: "guess"}
t_launch: {value: 2, source: "guess"}
t_fixed: {value: 0.1, source: "guess"}
"""

# (id, profile text, "line:col", message)
PROFILE_CASES = [
    ("unknown key", GOOD + "color: red\n", "14:1", "unknown key 'color'"),
    ("missing source", GOOD.replace('{value: 5, source: "datasheet"}', "{value: 5}"), "4:12",
     "'bandwidth' needs a 'source:'"),
    ("value is text", GOOD.replace("value: 5,", "value: fast,"), "4:20",
     "'bandwidth' value must be a number"),
    ("efficiency above 1", GOOD.replace("conv: {value: 0.5", "conv: {value: 1.5"), "6:17",
     "'conv' value must be at least 1e-06 and at most 1"),
    ("zero peak", GOOD.replace("value: 10,", "value: 0,"), "3:17",
     "'fp32' value must be at least 1e-06"),
    ("tiny bandwidth", GOOD.replace("value: 5,", "value: 1.0e-300,"), "4:20",
     "'bandwidth' value must be at least 1e-06 and at most 1000000, got 1e-300"),
    ("huge bandwidth", GOOD.replace("value: 5,", "value: 1.0e+500,"), "4:20",
     "'bandwidth' value must be at least 1e-06 and at most 1000000, got a number of 501 digits"),
    ("negative launch", GOOD.replace("value: 2,", "value: -2,"), "12:19",
     "'t_launch' value must be at least 0"),
    ("unknown op class", GOOD.replace("linear:", "dense:"), "9:3",
     "unknown eta entry 'dense'"),
    ("unknown dtype", GOOD.replace("fp32:", "fp64:"), "3:3", "unknown peak entry 'fp64'"),
    ("unknown base", "base: pixel9\n", "1:7", "unknown base 'pixel9'"),
    ("missing fields", "name: x\n", "1:1", "missing peak, eta, bandwidth"),
    ("not a mapping", "- 1\n", "1:1", "a device profile is a YAML mapping"),
    ("bad runtime", GOOD + "runtime: cudnn\n", "14:10", "'runtime' must be one of"),
    ("float literal", GOOD.replace("value: 10,", "value: .inf,"), "3:17",
     "number '.inf' is not finite"),
    ("huge exponent", GOOD.replace("value: 10,", "value: 1.0e+999999999,"), "3:17",
     "number '1.0e+999999999' is out of range"),
]


@pytest.mark.parametrize("case,text,where,message", PROFILE_CASES,
                         ids=[c[0] for c in PROFILE_CASES])
def test_profile_errors(tmp_path, monkeypatch, case, text, where, message):
    monkeypatch.chdir(tmp_path)
    Path("dev.yaml").write_text(text)
    _one_line(runner.invoke(app, ["latency", "v1", "--device", "dev.yaml"]),
              f"error: dev.yaml:{where}: {message}")


def test_user_profile_and_base(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("dev.yaml").write_text(GOOD)
    Path("faster.yaml").write_text('base: pixel3-cpu4-tflite\nname: faster\n'
                                   't_fixed: {value: 5, source: "measured"}\n')
    mine = json.loads(run("latency", "v1", "--device", "dev.yaml", "-f", "json").stdout)
    assert mine["device"] == "mine"
    base = json.loads(run("latency", "v1", "--device", "pixel3-cpu4-tflite", "-f",
                          "json").stdout)
    faster = json.loads(run("latency", "v1", "--device", "faster.yaml", "-f", "json").stdout)
    assert faster["total_ms"] == pytest.approx(base["total_ms"] - base["fixed_ms"] + 5)


CSV_HEADER = "model,alpha,resolution,ms\n"
# (id, csv text, "line:col", message)
CSV_CASES = [
    ("no ms column", "model,alpha\nv1,1\n", "1:1", "no 'ms' column"),
    ("ms not a number", CSV_HEADER + "v1,1,224,fast\n", "2:10", "ms must be a number"),
    ("ms is nan", CSV_HEADER + "v1,1,224,nan\n", "2:10", "ms must be a number"),
    ("ms zero", CSV_HEADER + "v1,1,224,0\n", "2:10", "ms must be more than 0"),
    ("ms huge", CSV_HEADER + "v1,1,224,1e999\n", "2:10", "ms must be more than 0 and at most"),
    ("ms huge exponent", CSV_HEADER + "v1,1,224,1e99999999\n", "2:10", "ms must be a number"),
    ("unknown model", CSV_HEADER + "v9,1,224,3\n", "2:1", "v9: unknown model"),
    ("unknown parameter", "model,beta,ms\nv1,2,3\n", "2:4", "v1: mobilenet_v1 has no parameter"),
    ("bad parameter", CSV_HEADER + "v1,2/0,224,3\n", "2:4", "v1: parameter 'alpha' takes a number"),
    ("short row", CSV_HEADER + "v1,1\n", "2:1", "2 fields, the header has 4"),
    ("mixed dtypes", "model,dtype,ms\nv1,fp32,3\nv1,int8,2\n", "3:4", "dtype int8 differs"),
    ("duplicate column", "model,ms,ms\nv1,1,2\n", "1:10", "duplicate column name 'ms'"),
    ("empty", "", "1:1", "empty file"),
    ("header only", CSV_HEADER, "2:1", "no measurements"),
    ("byte order mark", "\ufeff" + CSV_HEADER + "v1,1,224,x\n", "2:10", "ms must be a number"),
]


@pytest.mark.parametrize("case,text,where,message", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_measurement_errors(tmp_path, monkeypatch, case, text, where, message):
    monkeypatch.chdir(tmp_path)
    Path("m.csv").write_text(text)
    _one_line(runner.invoke(app, ["latency", "calibrate", "m.csv", "--device",
                                  "pixel3-cpu4-tflite"]), f"error: m.csv:{where}: {message}")


def test_under_determined_fits_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.csv").write_text(CSV_HEADER + "v1,1,224,24\nv1,0.5,160,4.4\n")
    args = ["latency", "calibrate", "m.csv", "--device", "pixel3-cpu4-tflite"]
    _one_line(runner.invoke(app, args + ["--fit", "eta.pointwise,eta_memory,t_fixed"]),
              "error: under-determined fit: 2 measurements for 3 terms")
    # the same model at one size: launches and the fixed overhead cannot be told apart
    Path("m.csv").write_text(CSV_HEADER + "v1,1,224,24\nv1,1,224,25\nv1,1,224,23\n")
    _one_line(runner.invoke(app, args + ["--fit", "t_fixed,t_launch"]),
              "error: under-determined fit: term t_launch cannot be fitted")
    _one_line(runner.invoke(app, args + ["--fit", "eta.attention"]),
              "error: unknown term 'eta.attention'")
    _one_line(runner.invoke(app, args + ["--fit", " , "]),
              "error: --fit needs at least one term")
    Path("out").mkdir()
    _one_line(runner.invoke(app, args + ["--output", "out"]), "error: cannot write out:")


def test_calibrate_writes_a_profile_that_predicts_what_it_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = DATA / "latency" / "pixel3-cpu4-fp32.csv"
    result = run("latency", "calibrate", str(source), "--device", "pixel3-cpu4-tflite",
                 "--output", "fitted.yaml", "-f", "json")
    tables = json.loads(result.stdout)
    rows = tables[0]["rows"]
    summary = {r["model"]: r["MAPE %" if "MAPE %" in r else "mape"] for r in tables[2]["rows"]}
    assert summary["roofline (this fit)"] < summary["MACs only: t = c * MACs"]
    fitted = json.loads(run("latency", "v1", "--device", "fitted.yaml", "--alpha", "0.25",
                            "--res", "128", "--classes", "1001", "-f", "json").stdout)
    assert fitted["total_ms"] == pytest.approx(rows[0]["predicted_ms"], abs=1e-4)


@pytest.mark.parametrize("args", [
    ["latency", "v2", "--device", "pixel3-cpu4-tflite", "--format", "json"],
    ["latency", "calibrate", str(DATA / "latency" / "pixel1-v2paper.csv"), "--device",
     "pixel1-bigcore-tflite"],
], ids=["predict", "calibrate"])
def test_latency_never_imports_sympy(args):
    import subprocess
    import sys

    code = ("import sys\nfrom costcalc.cli import main\nsys.argv = ['costcalc'] + "
            f"{args!r}\ntry:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None)"
            "\nassert 'sympy' not in sys.modules and 'numpy' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


HOSTILE = r"x*|`_%$&#{}\[red]<b>"


@pytest.mark.parametrize("fmt", FORMATS)
def test_user_text_is_escaped_in_every_format(tmp_path, monkeypatch, fmt):
    """A profile's name and description and a spec's layer names are shown, never interpreted."""
    monkeypatch.chdir(tmp_path)
    text = GOOD.replace("name: mine", f"name: '{HOSTILE}'\ndescription: '{HOSTILE}'")
    Path("dev.yaml").write_text(text)
    Path("spec.yaml").write_text("input: [3, 8, 8]\nlayers:\n"
                                 "  - {kind: conv, out: 8, name: 'a*b_c%d[red]x'}\n")
    out = run("latency", "spec.yaml", "--device", "dev.yaml", "-f", fmt).stdout
    if fmt == "markdown":
        assert r"x\*\|\`" in out and "a\\*b" in out
    elif fmt == "latex":
        assert r"\%" in out and r"\$" in out and r"\_" in out and r"\&" in out
    elif fmt == "table":
        assert "[red]" in out and "a*b_c%d[red]x" in out
    else:
        assert "a*b_c%d[red]x" in out


@pytest.mark.parametrize("rows,loo", [(["v1,20"], False), (["v1,20", "v1,22"], True),
                                      (["v1,20", "v1,22", "v1,21"], True)])
def test_calibrating_one_size_of_one_model(tmp_path, monkeypatch, rows, loo):
    """MACs + constant cannot be fitted when every row has the same MACs: shown empty, no error."""
    monkeypatch.chdir(tmp_path)
    Path("m.csv").write_text("model,ms\n" + "\n".join(rows) + "\n")
    args = ["latency", "calibrate", "m.csv", "--device", "pixel3-cpu4-tflite", "-f", "json"]
    tables = json.loads(run(*args, *(["--loo"] if loo else [])).stdout)
    summary = {r["model"]: r for r in tables[2]["rows"]}
    assert summary["MACs + constant: t = a + c * MACs"]["mape"] is None
    assert summary["roofline (this fit)"]["mape"] >= 0


def test_leave_one_out_needs_two_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.csv").write_text("model,ms\nv1,20\n")
    _one_line(runner.invoke(app, ["latency", "calibrate", "m.csv", "--device",
                                  "pixel3-cpu4-tflite", "--loo"]),
              "error: leave-one-out needs at least 2 measurements")
