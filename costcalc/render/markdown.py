"""GitHub Markdown renderer."""
from __future__ import annotations

from typing import Any

from costcalc.render.cells import plain
from costcalc.table import Table


def render(table: Table, exact: bool = True, **_: Any) -> str:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines.append("| " + " | ".join(c.title for c in table.columns) + " |")
    lines.append("|" + "|".join("---" if c.kind == "text" else "---:" for c in table.columns) + "|")
    for row in table.rows:
        cells = [plain(row.get(c.key), c.kind, exact).replace("|", "\\|") for c in table.columns]
        if row.get("_style") == "total":
            cells = [f"**{cell}**" if cell else cell for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if table.footer:
        lines.append("")
        lines.extend(table.footer)
    return "\n".join(lines) + "\n"
