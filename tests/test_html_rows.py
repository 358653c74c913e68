"""The HTML table reads a row's style from the Row: totals in tfoot, subtotals and indents marked."""
from __future__ import annotations

import re

import pytest
from cli_runner import run

from costcalc.plot.html import table_html
from costcalc.table import Column, Row, Table



def _table(*rows: Row) -> Table:
    return Table("t", [Column("layer", "layer", "text"), Column("macs", "MACs", "count")],
                 list(rows), [])


@pytest.mark.parametrize("row, place, classes", [
    (Row({"layer": "a", "macs": 1}), "tbody", ""),
    (Row({"layer": "b", "macs": 2}, style="subtotal"), "tbody", "subtotal"),
    (Row({"layer": "c", "macs": 3}, indent=1), "tbody", "indent"),
    (Row({"layer": "all", "macs": 6}, style="total"), "tfoot", "total"),
])
def test_row_style_places_the_row(row, place, classes):
    html = table_html(_table(row))
    section = re.search(rf"<{place}>(.*)</{place}>", html).group(1)
    assert f'<tr class="{classes}">' in section
    assert row["layer"] in section


@pytest.mark.parametrize("args", [("v2",), ("v2", "--alpha", "0.5", "--res", "160"), ("v1",)])
def test_report_total_row_is_in_tfoot(args):
    page = run(*args, "--format", "html").stdout
    assert '<tr class="total"><td>total</td>' in re.search(r"<tfoot>(.*?)</tfoot>", page).group(1)
    assert '<tr class="total">' not in re.search(r"<tbody>(.*?)</tbody>", page).group(1)
