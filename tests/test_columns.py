"""``--columns``: choose and order the columns of every table command, including the report's
optional input shape, conv geometry and "connected to" columns."""
from __future__ import annotations

import csv
import io

import pytest

from costcalc.api import analyze
from tests.cli_runner import run


def header(out: str) -> list[str]:
    """The CSV header without the ``row`` column that tables with total rows carry."""
    names = next(csv.reader(io.StringIO(out)))
    return names[1:] if names[0] == "row" else names


@pytest.mark.parametrize("args,expected", [
    (("v2", "--columns", "macs,name"), ["macs", "name"]),
    (("v2", "--columns", "layer,MACs,%params"), ["name", "macs", "params_pct"]),
    (("v2", "--columns", "name,input,output,kernel,stride,groups,dilation,inputs"),
     ["name", "input", "output", "kernel", "stride", "groups", "dilation", "inputs"]),
    (("v2", "--columns", "name, connected to ,name"), ["name", "inputs"]),
    (("compare", "v1", "v2", "--columns", "variant,params_ratio"), ["variant", "params_ratio"]),
    (("list", "--columns", "name,params"), ["name", "params"]),
    (("conventions", "v2", "--columns", "convention,reported"), ["convention", "reported"]),
    (("memory", "v2", "--columns", "name,live_bytes"), ["name", "live_bytes"]),
])
def test_columns_chooses_and_orders(args, expected):
    assert header(run(*args, "--format", "csv").stdout) == expected


@pytest.mark.parametrize("args", [
    ("v2", "--columns", "bogus"), ("v2", "--columns", ","), ("list", "--columns", "macs,nope"),
    ("compare", "v1", "--columns", ""),
])
def test_unknown_column_is_a_one_line_error(args):
    result = run(*args, code=2)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--columns" in lines[0]


def test_unknown_column_lists_the_optional_ones_too():
    err = run("v2", "--columns", "bogus", code=2).stderr
    for key in ("input", "kernel", "stride", "groups", "dilation", "inputs"):
        assert key in err


@pytest.mark.parametrize("model", ["v1", "v2", "v3-large", "resnet50", "shufflenet_v2_x1_0"])
def test_optional_columns_come_from_each_layer(model):
    """Every layer row's geometry is the node's own, its input shape is the shape of the layers
    it reads, and "connected to" names only layers above it (or the input)."""
    report = analyze(model, "paper")
    out = run(model, "--format", "csv", "--columns",
              "name,input,kernel,stride,groups,dilation,inputs").stdout
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    nodes = report.graph.nodes
    seen = {"input"}
    for node in nodes:
        row = rows[node.name]
        for key in ("kernel", "stride", "groups", "dilation"):
            value = node.info.get(key)
            assert row[key] == ("" if value is None else str(value)), (node.name, key)
        names = [("input" if i < 0 else nodes[i].name) for i in node.inputs]
        assert row["inputs"] == ", ".join(names)
        assert set(names) <= seen
        shapes = ["x".join(map(str, report.graph.input if i < 0 else nodes[i].shape))
                  for i in node.inputs]
        assert row["input"] == " + ".join(shapes)
        seen.add(node.name)


def test_mobilenet_v2_geometry_matches_the_paper():
    """Sandler et al. 2018, Table 2: the second bottleneck (t=6, c=24, s=2) starts with a 3x3
    depthwise conv of stride 2 on 96 = 6 x 16 channels at 112x112."""
    out = run("v2", "--format", "csv", "--columns", "name,input,kernel,stride,groups,inputs").stdout
    row = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}["b1.dw"]
    assert row == {"row": "row", "name": "b1.dw", "input": "96x112x112", "kernel": "3", "stride": "2",
                   "groups": "96", "inputs": "b1.expand"}


def test_chosen_columns_are_never_left_out_in_a_narrow_terminal(monkeypatch):
    from costcalc.render import terminal

    monkeypatch.setattr(terminal, "is_terminal", lambda stream=None: True)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    out = run("v3-large", "--columns", "name,block/std,1/N+1/K^2,macs").stdout
    head = out.splitlines()[2].split()
    assert head == ["layer", "block/std", "1/N+1/K^2", "MACs"]
    assert "not shown" not in out


def test_report_columns_golden(golden):
    golden("report_v2_columns.markdown",
           run("v2", "-d", "2", "--format", "markdown", "--columns",
               "name,input,output,kernel,stride,groups,macs,inputs").stdout)
