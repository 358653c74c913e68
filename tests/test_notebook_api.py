"""The Python API of the commands and the notebook forms of results: the same data as each
command's ``--format json``, readable text, escaped HTML and optional DataFrames."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from html.parser import HTMLParser

import pytest
from cli_runner import run

import costcalc
from costcalc.errors import CostcalcError


# (command-line arguments, the same call through the library)
CASES = [
    (["compare", "v1", "v2"], lambda: costcalc.compare("v1", "v2")),
    (["compare", "v2", "--alpha", "0.35,0.5", "--res", "160", "--sort", "macs", "--reverse"],
     lambda: costcalc.compare("v2", alpha=["0.35", Fraction(1, 2)], res=160, sort="macs",
                              reverse=True)),
    (["compare", "v3-small", "v3-large:alpha=0.75", "--baseline", "2"],
     lambda: costcalc.compare("v3-small", "v3-large:alpha=0.75", baseline=2)),
    (["sweep", "v1", "--alpha", "1,0.5", "--res", "224,128"],
     lambda: costcalc.sweep("v1", alpha=[1, 0.5], res="224,128")),
    (["sweep", "v2", "--set", "t=2,6", "--layout", "long"],
     lambda: costcalc.sweep("v2", t=[2, 6], layout="long")),
    (["memory", "v2", "--dtype", "fp16"], lambda: costcalc.memory("v2", dtype="fp16")),
    (["memory", "v1", "--alpha", "0.25", "--res", "128"],
     lambda: costcalc.memory("v1", alpha=0.25, res=128)),
    (["conventions", "v2", "--set", "flavor=torchvision"],
     lambda: costcalc.conventions("v2", flavor="torchvision")),
    (["conventions"], lambda: costcalc.conventions()),
    (["conventions", "--rules"], lambda: costcalc.conventions(rules=True)),
    (["formula", "v1"], lambda: costcalc.formula("v1")),
    (["formula", "v2", "--alpha", "0.5", "--sensitivity"],
     lambda: costcalc.formula("v2", alpha="0.5", sensitivity=True)),
]


@pytest.mark.parametrize("args, call", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_library_call_returns_the_commands_json(args, call):
    expected = json.loads(run(*args, "--format", "json").stdout)
    assert call().data == expected


class Cells(HTMLParser):
    """Collects the text of every th/td cell and every tag name; a stray tag shows up here."""

    def __init__(self):
        super().__init__()
        self.tags, self.cells, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th", "caption"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption"):
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def parsed(markup: str) -> Cells:
    parser = Cells()
    parser.feed(markup)
    parser.close()
    return parser


HOSTILE = ["<script>alert(1)</script>", "a&b", '"><img src=x onerror=alert(1)>', "<b>bold</b>"]

SPEC = """\
name: {name}
input: [3, 32, 32]
layers:
  - {{kind: conv, name: {layer}, out: 8, kernel: 3, stride: 2}}
  - {{kind: gap}}
  - {{kind: fc, out: 10}}
"""


@pytest.mark.parametrize("text", HOSTILE)
def test_report_html_escapes_user_names(tmp_path, text):
    path = tmp_path / "net.yaml"
    path.write_text(SPEC.format(name=json.dumps(text), layer=json.dumps(text)), encoding="utf-8")
    report = costcalc.analyze(str(path))
    result = parsed(report._repr_html_())
    assert set(result.tags) <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}
    assert text in result.cells  # the layer name, shown as text
    assert result.cells[0].startswith(text)  # the model name in the caption


def test_report_html_rows_are_the_layers_and_the_total():
    report = costcalc.analyze("v2", alpha="0.5", res=160)
    result = parsed(report._repr_html_())
    width = 6
    body = result.cells[1 + width:]  # after the caption and the header
    rows = [body[i:i + width] for i in range(0, len(body), width)]
    assert [r[0] for r in rows] == [layer.name for layer in report.layers] + ["total"]
    assert [int(r[3]) for r in rows[:-1]] == [layer.macs for layer in report.layers]
    assert int(rows[-1][3]) == report.total.macs == sum(int(r[3]) for r in rows[:-1])
    assert result.cells[0] == ("mobilenet_v2 (alpha=0.5, resolution=160, classes=1000, t=6, "
                               "flavor=tf, dilated=false), convention paper")


@pytest.mark.parametrize("call", [
    lambda: costcalc.compare("v1", "v2"),
    lambda: costcalc.sweep("v1", alpha="1,0.5", res="224,128"),
    lambda: costcalc.memory("v2"),
    lambda: costcalc.conventions("v2"),
], ids=["compare", "sweep", "memory", "conventions"])
def test_result_html_has_one_row_per_table_row(call):
    result = call()
    cells = parsed(result._repr_html_())
    columns = result.table.columns
    assert cells.cells[1:1 + len(columns)] == [c.title for c in columns]
    assert len(cells.cells) == 1 + len(columns) * (1 + len(result.table.rows))
    assert result.command in repr(result)


@pytest.mark.parametrize("args, expected", [
    ({"alpha": Fraction(1, 2)}, "(alpha=0.5, resolution=224,"),
    ({"alpha": "0.75", "res": 192}, "(alpha=0.75, resolution=192,"),
    ({"alpha": Fraction(1, 3)}, "(alpha=1/3, resolution=224,"),
])
def test_report_repr_shows_parameters_as_written_and_exact_totals(args, expected):
    report = costcalc.analyze("v1", **args)
    text = repr(report)
    assert expected in text and "Fraction" not in text
    assert f"macs={report.total.macs}," in text and f"params={report.total.params}," in text
    assert text.startswith("<Report mobilenet_v1 ") and "convention paper" in text


@pytest.mark.parametrize("call, message", [
    (lambda: costcalc.memory("v2", alpha="0.5,1"), "alpha takes one value"),
    (lambda: costcalc.compare("v2", alpha=""), "comma-separated"),
    (lambda: costcalc.memory("v2", dtype="fp64"), "fp64"),
    (lambda: costcalc.sweep("v2", alpha=list(range(1, 200)), res=list(range(96, 300)),
                            max_points=100), "100"),
])
def test_bad_arguments_give_the_commands_errors(call, message):
    with pytest.raises(CostcalcError, match=message):
        call()


def test_to_dataframe_without_pandas_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    for value in (costcalc.analyze("v1"), costcalc.compare("v1", "v2")):
        with pytest.raises(ImportError, match="pip install pandas"):
            value.to_dataframe()


def test_to_dataframe_with_pandas():
    pandas = pytest.importorskip("pandas")
    report = costcalc.analyze("v2")
    frame = report.to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["name"]) == [r.name for r in report.layers]
    assert int(frame["macs"].sum()) == report.total.macs
    result = costcalc.compare("v1", "v2")
    assert len(result.to_dataframe()) == len(result.table.rows)


@pytest.mark.parametrize("code", [
    "import costcalc",
    "import costcalc; costcalc.compare('v1', 'v2').data",
    "import costcalc; costcalc.memory('v2')._repr_html_()",
    "import costcalc; repr(costcalc.analyze('v2', alpha=0.5)); costcalc.analyze('v1')._repr_html_()",
], ids=["import", "compare", "memory", "report-html"])
def test_library_calls_never_import_sympy_or_pandas(code):
    check = (f"{code}\nimport sys\nloaded = [m for m in ('sympy', 'pandas') if m in sys.modules]\n"
             "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
