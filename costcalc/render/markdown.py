"""GitHub Markdown renderer: a pipe table, block rows in italics, the total in bold."""
from __future__ import annotations

from typing import Any

from costcalc.render.cells import plain
from costcalc.table import Table


def escape(text: str) -> str:
    """Cell text that GitHub shows literally: pipes, emphasis and code marks escaped."""
    for char in ("\\", "|", "*", "`"):
        text = text.replace(char, "\\" + char)
    return text


def render(table: Table, exact: bool = True, **_: Any) -> str:
    lines = [f"**{escape(table.title)}**", ""] if table.title else []
    lines.append("| " + " | ".join(escape(c.title) for c in table.columns) + " |")
    lines.append("|" + "|".join("---" if c.kind == "text" else "---:" for c in table.columns) + "|")
    for row in table.rows:
        cells = [escape(plain(row.get(c.key), c.kind, exact)) for c in table.columns]
        mark = {"total": "**", "subtotal": "*"}.get(row.get("_style", ""), "")
        if mark:
            cells = [f"{mark}{cell}{mark}" if cell else cell for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if table.footer:
        lines.append("")
        lines.extend(f"- {escape(line)}" for line in table.footer)
    return "\n".join(lines) + "\n"
