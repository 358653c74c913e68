"""The terminal report: a rich table of layers and totals (plain text when piped)."""
from __future__ import annotations

from costcalc.analysis import Report


def human(value: int) -> str:
    """300774272 -> '300.77M'."""
    for factor, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{suffix}"
    return str(value)


def print_report(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.model} ({report.convention.name} convention)")
    for title in ("layer", "kind", "output", "MACs", "params", "activations"):
        table.add_column(title, justify="left" if title in ("layer", "kind") else "right")
    for row in report.layers:
        table.add_row(row.name, row.kind, "x".join(map(str, row.output)), human(row.macs),
                      human(row.params), human(row.activations))
    total = report.total
    table.add_row("total", "", "", human(total.macs), human(total.params), human(total.activations))
    Console().print(table)
