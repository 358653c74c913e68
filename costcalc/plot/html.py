"""One self-contained HTML file: a command's table (sortable, exact numbers in tooltips), its
charts inline as SVG, the convention and the parameters. No network, no external fonts."""
from __future__ import annotations

from fractions import Fraction
from html import escape
from typing import Any, Iterable

from costcalc import numbers
from costcalc.plot.axes import human
from costcalc.plot.data import shown

# Nothing may be fetched: the policy forbids every network source; style and script are inline.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; "
       "base-uri 'none'")

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;
 margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em}
.notes{color:#444;font-size:.92em}.notes li{margin:.15em 0}
figure{margin:1em 0;overflow-x:auto}svg.costcalc-chart{max-width:100%;height:auto}
.scroll{overflow-x:auto}
@media (max-width:700px){svg.costcalc-chart{max-width:none}}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9em}
th,td{padding:.2em .6em;border-bottom:1px solid #e4e4e4;white-space:nowrap}
th{position:sticky;top:0;background:#f4f4f4;cursor:pointer;user-select:none;text-align:left}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right}tr.subtotal td{font-weight:600;background:#fafafa}
tr.total td{font-weight:700;border-top:2px solid #999}tr.indent td:first-child{padding-left:1.6em}
"""

# Click a header to sort by it (numbers by their exact value, text alphabetically); the total
# row stays in the footer.
SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, index) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      var key = function (row) {
        var cell = row.cells[index];
        var value = cell ? cell.getAttribute('data-sort') : null;
        return value === null ? (cell ? cell.textContent : '') : value;
      };
      var numeric = rows.every(function (r) {
        var k = key(r); return k === '' || !isNaN(Number(k)); });
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), order;
        if (numeric) {
          if (x === '' || y === '') { order = (x === '') - (y === ''); return order; }
          order = compareNumbers(x, y);
        } else {
          order = x.localeCompare(y);
        }
        return up ? order : -order;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
function compareNumbers(x, y) {
  // Exact integers as BigInt where possible: counts can exceed 2^53.
  if (/^-?[0-9]+$/.test(x) && /^-?[0-9]+$/.test(y)) {
    var a = BigInt(x), b = BigInt(y);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return Number(x) - Number(y);
}
"""


def _cell(value: Any, kind: str) -> tuple[str, str, str]:
    """(shown text, exact tooltip, sort key) of a table cell."""
    if value is None:
        return "", "", ""
    if isinstance(value, bool):
        text = "yes" if value else "no"
        return text, "", text
    if isinstance(value, int):
        exact = str(value)
        shown_text = human(value) if kind == "count" and abs(value) >= 1000 else exact
        return shown_text, f"{value:,}", exact
    if isinstance(value, Fraction):
        text = shown(value)
        return text, text, repr(float(value))
    if isinstance(value, float):
        if kind == "percent":
            return numbers.percent(value), repr(value), repr(value)
        if kind == "ratio":
            return numbers.fixed(value, 4), repr(value), repr(value)
        return numbers.significant(value), repr(value), repr(value)
    return str(value), "", str(value)


def table_html(table) -> str:
    """A command's Table as a sortable HTML table (the total row in ``tfoot``)."""
    head = "".join(f'<th scope="col" title="sort by {escape(c.title)}">{escape(c.title)}</th>'
                   for c in table.columns)
    body, foot = [], []
    for row in table.rows:
        classes = [row.style] + (["indent"] if row.indent else [])
        cells = []
        for column in table.columns:
            text, tip, key = _cell(row.get(column.key), column.kind)
            numeric = column.kind in ("count", "percent", "ratio", "number")
            attrs = f' data-sort="{escape(key)}"' if numeric else ""
            attrs += f' title="{escape(tip)}"' if tip and tip != text else ""
            attrs += ' class="num"' if numeric else ""
            cells.append(f"<td{attrs}>{escape(text)}</td>")
        line = f'<tr class="{escape(" ".join(c for c in classes if c))}">{"".join(cells)}</tr>'
        (foot if row.style == "total" else body).append(line)
    return (f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody><tfoot>{"".join(foot)}</tfoot></table></div>')


def page(title: str, charts: Iterable[str], data: dict[str, Any] | None = None,
         table=None, notes: Iterable[str] = ()) -> str:
    """The whole HTML document: title, notes (convention, parameters), charts, table."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(title)}</h1>"]
    lines = list(notes)
    if data and not lines:
        for key in ("convention", "dtype"):
            if key in data:
                lines.append(f"{key}: {data[key]}")
        if isinstance(data.get("parameters"), dict):
            lines.append("parameters: " + ", ".join(f"{k}={v}" for k, v in
                                                     data["parameters"].items()))
    if lines:
        parts.append('<ul class="notes">' + "".join(f"<li>{escape(str(line))}</li>"
                                                    for line in lines) + "</ul>")
    for svg in charts:
        parts.append(f"<figure>{svg}</figure>")
    if table is not None:
        parts.append(f"<h2>{escape(table.title)}</h2>")
        parts.append(table_html(table))
    parts.append(f"<script>{SCRIPT}</script></body></html>\n")
    return "\n".join(parts)
