"""Notebook forms of results: escaped HTML tables, short text summaries and pandas DataFrames."""
from __future__ import annotations

import html
import json
from typing import Any, Sequence

from costcalc.render.cells import plain
from costcalc.table import Table


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    """An HTML table; every header, cell and the caption is escaped (user text never becomes
    markup)."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers)
               + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def dataframe(records: list[dict[str, Any]]):
    """A pandas DataFrame of the records; pandas is imported here only, as an optional extra."""
    try:
        import pandas
    except ImportError as error:
        raise ImportError("to_dataframe() needs pandas, which costcalc does not install: "
                          "pip install pandas") from error
    return pandas.DataFrame.from_records(records)


class Result:
    """A command's result as a library value: ``.data`` is exactly what the command prints with
    ``--format json``; ``.table`` the table behind it; HTML in Jupyter; ``to_dataframe()``."""

    def __init__(self, command: str, table: Table):
        from costcalc.render.records import render_json

        self.command = command
        self.table = table
        self.data = json.loads(render_json(table))

    def __repr__(self) -> str:
        title = f" {self.table.title!r}" if self.table.title else ""
        return f"<costcalc {self.command}{title}: {len(self.table.rows)} rows>"

    def _repr_html_(self) -> str:
        columns = self.table.columns
        rows = [[plain(row.get(c.key), c.kind) for c in columns] for row in self.table.rows]
        return html_table([c.title for c in columns], rows, self.table.title)

    def to_dataframe(self):
        """The table's rows as a DataFrame, one column per column key (needs pandas)."""
        return dataframe([{c.key: row.get(c.key) for c in self.table.columns}
                          for row in self.table.rows])
