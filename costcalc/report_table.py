"""A Report as a neutral Table: one row per layer plus the total."""
from __future__ import annotations

from costcalc.analysis import Report
from costcalc.table import Column, Table

COLUMNS = [Column("name", "layer"), Column("kind", "kind"), Column("output", "output"),
           Column("macs", "MACs", "count"), Column("params", "params", "count"),
           Column("activations", "activations", "count")]


def report_table(report: Report) -> Table:
    rows = [{"name": r.name, "kind": r.kind, "output": "x".join(map(str, r.output)),
             "macs": r.macs, "params": r.params, "activations": r.activations}
            for r in report.layers]
    total = report.total
    rows.append({"name": "total", "macs": total.macs, "params": total.params,
                 "activations": total.activations, "_style": "total"})
    return Table(f"{report.model} ({report.convention.name} convention)", COLUMNS, rows,
                 data=report.to_dict())
