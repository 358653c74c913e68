"""Latency beside the counts: a compare table's latency columns, a sweep's latency metric."""
from __future__ import annotations

from costcalc.costing.variants import parse_variant
from costcalc.errors import UsageError
from costcalc.latency.budget import latency_ms
from costcalc.table import Column, Table


def add_latency(table: Table, device: str | None, dtype: str | None) -> None:
    """Latency columns (ms and x the baseline) beside the counts: costcalc.latency per row."""

    if device is None:
        raise UsageError("--dtype goes with --device")
    base = table.data["baseline"]
    for row in table.rows:
        model, _ = parse_variant(row["source"])
        row["latency_ms"] = latency_ms(model, row["parameters"], device, dtype)
    reference = next(r["latency_ms"] for r in table.rows if r["variant"] == base)
    for row, entry in zip(table.rows, table.data["variants"]):
        row["latency_ratio"] = row["latency_ms"] / reference
        entry["latency_ms"] = row["latency_ms"]
        entry["ratios"]["latency"] = row["latency_ratio"]
    table.columns.insert(4, Column("latency_ms", "latency ms", "number"))
    table.columns.append(Column("latency_ratio", "latency x", "ratio"))
    table.data["device"] = device
    table.footer.append(f"latency: predicted on {device} (costcalc latency --device {device} "
                        "shows the per-layer terms)")


def latency_metric(device: str | None, dtype: str | None):
    """A sweep metric (``sweep_table(extra=...)``): each point's predicted latency on ``device``."""
    if device is None:
        raise UsageError("--dtype goes with --device")

    def add(model: str, results: list, points: list[dict]) -> tuple:
        for (values, _), point in zip(results, points):
            point["latency_ms"] = latency_ms(model, values, device, dtype)
        return (("latency_ms", f"latency ms ({device})"),)

    return add
