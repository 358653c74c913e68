"""JSON and CSV renderers: exact integers, one record per row."""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from costcalc import numbers
from costcalc.render.controls import visible
from costcalc.table import Row, Table


_json_value = numbers.json_tree


def row_type(row: Row) -> str:
    """``row``, ``subtotal`` or ``total``: what a row is, for machine readers."""
    return row.style or "row"


def _styled(table: Table) -> bool:
    return any(row.style for row in table.rows)


def render_json(table: Table, **_: Any) -> str:
    from costcalc.render.json_text import dumps

    if table.data:
        return dumps(table.data) + "\n"
    rows = []
    for row in table.rows:
        record = {c.key: _json_value(row.get(c.key)) for c in table.columns}
        if _styled(table):
            record["row"] = row_type(row)
        rows.append(record)
    return dumps({"title": table.title, "rows": rows, "notes": table.footer}) + "\n"


def json_pieces(table: Table, **options: Any):
    """``render_json``'s text in pieces: a table's data holding long ``Chunks`` lists (a
    report's layers and blocks) is written a piece at a time."""
    if not table.data:
        yield render_json(table, **options)
        return
    from costcalc.render.json_text import pieces

    yield from pieces(table.data)
    yield "\n"


def render_csv(table: Table, **_: Any) -> str:
    """One header line of column keys, one line per row; exact numbers; a ``row`` column
    (row, subtotal, total) when the table has subtotal or total rows."""
    styled = _styled(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(([] if not styled else ["row"]) + [csv_text(c.key) for c in table.columns])
    for row in table.rows:
        writer.writerow(([] if not styled else [row_type(row)])
                        + ["" if row.get(c.key) is None else _csv_value(row.get(c.key))
                           for c in table.columns])
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    value = _json_value(value)
    if isinstance(value, list):
        value = json.dumps(value)
    return csv_text(value) if isinstance(value, str) else value


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# ("=HYPERLINK(...)", "=cmd|' /C calc'!A0", "@SUM(...)"); a number such as -3 or +1/2 is not.
_FORMULA_START = ("=", "+", "-", "@")  # tab and CR are already escaped by visible()
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:/\d+)?")


def csv_text(text: str) -> str:
    """A text cell that a spreadsheet shows as text: one line (control characters written as
    visible escapes) and, when it would start a formula, prefixed with an apostrophe, which
    spreadsheets take as "text follows" and do not show."""
    text = visible(text)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
