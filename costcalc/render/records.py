"""JSON and CSV renderers: exact integers, one record per row."""
from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from typing import Any

from costcalc import expr
from costcalc.table import Table


def _json_value(value: Any) -> Any:
    if isinstance(value, Fraction):
        shown = expr.format_number(value)
        return float(shown) if "/" not in shown else shown
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return str(value)


def render_json(table: Table, **_: Any) -> str:
    if table.data:
        return json.dumps(_json_value(table.data), indent=2)
    rows = [{c.key: _json_value(r.get(c.key)) for c in table.columns} for r in table.rows]
    return json.dumps({"title": table.title, "rows": rows}, indent=2)


def render_csv(table: Table, **_: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.title for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if row.get(c.key) is None else _csv_value(row.get(c.key))
                         for c in table.columns])
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    value = _json_value(value)
    return json.dumps(value) if isinstance(value, list) else value
