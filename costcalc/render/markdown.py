"""GitHub Markdown renderer: a pipe table, block rows in italics, the total in bold."""
from __future__ import annotations

import re
from typing import Any

from costcalc.render.cells import plain
from costcalc.render.controls import visible
from costcalc.table import Table

# Characters that start Markdown or HTML syntax inside a table cell or a list item: pipes end
# the cell, * _ ~ emphasis, ` code, [ ] links and images, < > & raw HTML and entities, $ math.
# Each is backslash-escaped (CommonMark escapes any ASCII punctuation). An underscore between
# two letters or digits never starts emphasis, so names like mobilenet_v2 stay readable.
_SPECIAL = re.compile(r"[\\|*`~\[\]<>&$]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def escape(text: str) -> str:
    """Text that GitHub and CommonMark renderers show literally, control characters visible."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(), visible(str(text)))


# At the start of a list item these would open a heading, a nested list or a setext line.
_BLOCK_START = re.compile(r"^(?:[#+=-]|\d+(?=[.)]))")


def item(text: str) -> str:
    """A footer line as a list item whose text cannot start another block."""
    text = escape(text)
    match = _BLOCK_START.match(text)
    if match is None:
        return f"- {text}"
    head = match.group()
    return f"- {head}\\{text[len(head):]}" if head[0].isdigit() else f"- \\{text}"


def render(table: Table, exact: bool = True, **_: Any) -> str:
    lines = [f"**{escape(table.title)}**", ""] if table.title else []
    lines.append("| " + " | ".join(escape(c.title) for c in table.columns) + " |")
    lines.append("|" + "|".join("---" if c.kind == "text" else "---:" for c in table.columns) + "|")
    for row in table.rows:
        cells = [escape(plain(row.get(c.key), c.kind, exact)) for c in table.columns]
        mark = {"total": "**", "subtotal": "*"}.get(row.style, "")
        if mark:
            cells = [f"{mark}{cell}{mark}" if cell else cell for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if table.footer:
        lines.append("")
        lines.extend(map(item, table.footer))
    return "\n".join(lines) + "\n"
