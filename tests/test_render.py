"""Renderers: every format from one neutral Table, cell formatting, and LaTeX that compiles."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from fractions import Fraction

import pytest

import costcalc
from costcalc.costing.compare import compare_table
from costcalc.costing.sweep import sweep_table
from costcalc.render import Format, render
from costcalc.render.cells import human, plain
from costcalc.costing.report_table import ColumnGroup, report_table
from costcalc.table import Column, Row, Table


def small_table() -> Table:
    columns = [Column("name", "layer"), Column("macs", "MACs", "count"),
               Column("share", "%MACs", "percent"), Column("ratio", "ratio", "ratio")]
    rows = [Row({"name": "b0", "macs": 3_000_000, "share": 75.0, "ratio": 0.125}, style="subtotal"),
            Row({"name": "b0.dw_1", "macs": 2_500_000, "share": 62.5}, indent=1),
            Row({"name": "b0.pw", "macs": 500_000, "share": 12.5}, indent=1),
            {"name": "fc", "macs": 1_000_000, "share": 25.0},
            Row({"name": "total", "macs": 4_000_000, "share": 100.0}, style="total")]
    return Table("net & 50% _test_", columns, rows, ["note: 100% of #MACs"])


@pytest.mark.parametrize("value, text", [
    (0, "0"), (999, "999"), (1_000, "1.00K"), (300_774_272, "300.77M"), (3_470_760, "3.47M"),
    (15_470_264_320, "15.47G"), (-2_500, "-2.50K"),
])
def test_human(value, text):
    assert human(value) == text


@pytest.mark.parametrize("value, kind, exact, text", [
    (300_774_272, "count", False, "300.77M"), (300_774_272, "count", True, "300774272"),
    (94.8571, "percent", False, "94.86%"), (Fraction(1, 8), "ratio", False, "0.1250"),
    (None, "count", False, ""), (True, "text", False, "yes"), (Fraction(3, 4), "number", True, "0.75"),
])
def test_plain_cells(value, kind, exact, text):
    assert plain(value, kind, exact) == text


def test_plain_text_has_no_colour_or_box_art_and_aligns_columns():
    text = render(small_table(), Format.table, color=False)
    assert "\x1b" not in text and not set("│┃━─┏┡") & set(text)
    lines = text.splitlines()
    header, rule = lines[2], lines[3]
    assert header.startswith("layer") and set(rule) <= {"-", " "}
    assert "  b0.dw_1" in text  # layers indented under their block
    assert lines[-1] == "note: 100% of #MACs"
    widths = {len(line) for line in lines[2:8] if line and not line.startswith("-")}
    assert max(widths) == len(rule.rstrip())


def test_colour_table_uses_rich():
    text = render(small_table(), Format.table, color=True)
    assert "\x1b[" in text and ("━" in text or "─" in text)


def test_exact_switch():
    assert "4000000" in render(small_table(), "table", exact=True, color=False)
    assert "4.00M" in render(small_table(), "table", exact=False, color=False)


def test_machine_formats_are_always_exact():
    table = small_table()
    data = json.loads(render(table, "json", exact=False))
    assert data["rows"][-1] == {"name": "total", "macs": 4000000, "share": 100.0, "ratio": None,
                                "row": "total"}
    records = list(csv.DictReader(io.StringIO(render(table, "csv", exact=False))))
    assert [r["row"] for r in records] == ["subtotal", "row", "row", "row", "total"]
    assert records[0]["macs"] == "3000000" and records[1]["name"] == "b0.dw_1"


def test_markdown_marks_blocks_and_total_and_escapes_pipes():
    table = small_table()
    table.rows[3]["name"] = "a|b"
    text = render(table, "markdown", exact=True)
    assert "| *b0* | *3000000* |" in text and "| **total** | **4000000** |" in text
    assert "a\\|b" in text and "- note: 100% of #MACs" in text
    assert text.splitlines()[3] == "|---|---:|---:|---:|"


def test_latex_escapes_and_uses_booktabs():
    text = render(small_table(), "latex", exact=True)
    assert r"\caption{net \& 50\% \_test\_}" in text
    assert r"\toprule" in text and r"\bottomrule" in text and r"\midrule" in text
    assert "4{,}000{,}000" in text and r"b0.dw\_1" in text


def test_extra_column_group_plugs_into_the_report():
    report = costcalc.analyze("v1")
    group = ColumnGroup([Column("weights", "weights", "count")],
                        lambda row: {"weights": row.node.counts.get("weights", 0)},
                        footer=["weights: conv and linear weights"], data={"extra": 1})
    table = report_table(report, extra=[group])
    assert [c.key for c in table.columns][8] == "weights"
    total = table.rows[-1]
    assert total["weights"] == sum(r.node.counts.get("weights", 0) for r in report.layers)
    sep0 = next(r for r in table.rows if r["name"] == "sep0")
    assert sep0["weights"] == 32 * 9 + 32 * 64
    assert table.footer[-1] == "weights: conv and linear weights" and table.data["extra"] == 1
    assert table.data["layers"][1]["weights"] == 32 * 9


@pytest.mark.parametrize("depth, rows", [(0, 1), (1, 16 + 1), (2, 16 + 13 * 2 + 1)])
def test_depth(depth, rows):
    table = report_table(costcalc.analyze("v1"), depth=depth)
    assert len(table.rows) == rows
    assert table.rows[-1]["macs"] == 568_740_352


# ------------------------------------------------------------------ LaTeX compiles
PDFLATEX = shutil.which("pdflatex")
DOCUMENT = r"""\documentclass{article}
\usepackage[margin=1cm,paperwidth=40cm,paperheight=120cm]{geometry}
\usepackage{booktabs,longtable,graphicx}
\begin{document}
\input{table.tex}
\end{document}
"""


def _tables():
    return {
        "report": report_table(costcalc.analyze("v3-small", alpha=Fraction(3, 4)), flops=True),
        "report_depth1": report_table(costcalc.analyze("v1"), depth=1),
        "compare": compare_table(["v1", "v2:alpha=0.5,res=160", "v3-large"], {}, "paper"),
        "sweep": sweep_table("v1", {"alpha": ["1", "0.5"], "resolution": ["224", "128"]}),
        "small": small_table(),
    }


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (CI installs "
                    "texlive-latex-base and texlive-latex-recommended)")
@pytest.mark.parametrize("name, exact", [("report", False), ("report", True),
                                         ("report_depth1", False), ("compare", True),
                                         ("sweep", False), ("small", True)])
def test_latex_compiles_with_pdflatex(name, exact, tmp_path):
    (tmp_path / "table.tex").write_text(render(_tables()[name], "latex", exact=exact))
    (tmp_path / "doc.tex").write_text(DOCUMENT)
    result = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
