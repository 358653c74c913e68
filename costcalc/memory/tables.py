"""Memory results as neutral Tables: per layer, per block (split), the trade-off, per resolution."""
from __future__ import annotations

from fractions import Fraction
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Sequence

from costcalc.graph.core import Graph
from costcalc.memory.liveness import (MemoryReport, analyze_memory, dtype_bytes,
                             weight_elements)
from costcalc.memory.resolution import K, by_resolution
from costcalc.memory.split import (Bottleneck, block_peak, clip_groups,
                                   find_bottlenecks, model_peak, powers, recompute_macs,
                                   split_blocks)
from costcalc.table import Column, Row, Table
from costcalc.costing.report_table import SHORT_KINDS

LAYER_COLUMNS = [Column("name", "layer"), Column("kind", "kind", shrink=True, short=SHORT_KINDS),
                 Column("output", "output"),
                 Column("activation_bytes", "activation B", "count"),
                 Column("weight_bytes", "weight B", "count", priority=2),
                 Column("live_bytes", "live B", "count"),
                 Column("op_bytes", "in+out B", "count", priority=1)]


def _split_label(split: int | str) -> str:
    return "G = tM" if split == "max" else f"G = {split}"


def memory_data(graph: Graph, report: MemoryReport, split: int | str) -> dict:
    """The JSON contract: the memory report plus every block with and without splitting."""
    data = report.to_dict()
    peak, at = model_peak(graph, _groups(graph, split))
    data["split"] = split
    data["split_peak_bytes"] = peak * dtype_bytes(report.dtype)
    data["split_peak_step"] = at
    data["blocks"] = [b.to_dict() for b in split_blocks(graph, split, report.dtype)]
    return data


def _groups(graph: Graph, split: int | str, units: Sequence[Bottleneck] | None = None) -> dict:
    units = find_bottlenecks(graph) if units is None else units
    return {u.name: clip_groups(u, split) for u in units}


def layers_table(graph: Graph, dtype: str, split: int | str = "max", data: bool = True) -> Table:
    """One row per layer: output bytes, weight bytes, bytes alive while it runs, inputs + output.

    ``data=False`` leaves out the JSON content and its split analysis (text never shows it)."""
    report = analyze_memory(graph, dtype)
    rows = [{"name": r.name, "kind": r.kind, "output": r.output.text(),
             "activation_bytes": r.activation_bytes, "weight_bytes": r.weight_bytes,
             "live_bytes": r.live_bytes, "op_bytes": r.op_bytes} for r in report.layers]
    rows.append(Row({"name": "total / peak", "weight_bytes": report.weight_bytes,
                     "live_bytes": report.peak_bytes, "op_bytes": report.op_bound_bytes},
                    style="total"))
    footer = [
        f"peak activation memory: {report.peak_bytes:,} B at {report.peak_layer} "
        f"(input image {report.input_bytes:,} B counted while alive)",
        f"v2 paper per-op bound (inputs + output of one op): {report.op_bound_bytes:,} B at "
        f"{report.op_bound_layer}",
        f"weights: {report.weight_bytes:,} B ({dtype}, BN folded)",
    ]
    return Table(f"{graph.name} memory ({dtype})", LAYER_COLUMNS, rows, footer,
                 data=memory_data(graph, report, split) if data else {})


SPLIT_COLUMNS = [Column("name", "block"), Column("hidden_channels", "tM"), Column("groups", "G"),
                 Column("group_channels", "channels/group"),
                 Column("peak_bytes", "peak B", "count"),
                 Column("split_peak_bytes", "split peak B", "count"),
                 Column("saving", "saving", "percent"),
                 Column("backprop_extra_macs", "backprop extra MACs", "count"),
                 Column("inference_extra_macs", "inference extra MACs", "count"),
                 Column("launches", "launches")]


def split_table(graph: Graph, dtype: str, split: int | str) -> Table:
    """Every inverted residual's peak with and without splitting, the price, and the model's."""
    report = analyze_memory(graph, dtype)
    data = memory_data(graph, report, split)
    rows = []
    for block in data["blocks"]:
        row = dict(block)
        row["saving"] = 100 * (1 - Fraction(block["split_peak_bytes"], block["peak_bytes"]))
        rows.append(row)
    extra = sum(b["backprop_extra_macs"] for b in data["blocks"])
    inference = sum(b["inference_extra_macs"] for b in data["blocks"])
    rows.append(Row({"name": "model", "peak_bytes": report.peak_bytes,
                     "split_peak_bytes": data["split_peak_bytes"],
                     "saving": 100 * (1 - Fraction(data["split_peak_bytes"], report.peak_bytes)),
                     "backprop_extra_macs": extra, "inference_extra_macs": inference},
                    style="total"))
    footer = [
        f"model peak: {report.peak_bytes:,} B at {report.peak_layer} unsplit; "
        f"{data['split_peak_bytes']:,} B at {data['split_peak_step']} with {_split_label(split)}",
        "inference computes each expanded channel once: no extra MACs (blocks with SE need a "
        "second pass and pay the expansion and depthwise again); training recomputes the "
        "expansion and depthwise in backprop",
    ]
    if not data["blocks"]:
        footer.insert(0, "no inverted residual blocks: nothing to split")
    return Table(f"{graph.name} grouped bottlenecks, {_split_label(split)} ({dtype})",
                 SPLIT_COLUMNS, rows, footer, data=data)


TRADEOFF_COLUMNS = [Column("groups", "G"), Column("group_channels", "channels/group"),
                    Column("block_peak_bytes", "block peak B", "count"),
                    Column("model_peak_bytes", "model peak B", "count"),
                    Column("block_extra_macs", "block backprop extra MACs", "count"),
                    Column("model_extra_macs", "model backprop extra MACs", "count"),
                    Column("model_inference_extra_macs", "model inference extra MACs", "count")]


def pick_block(graph: Graph, name: str | None) -> Bottleneck:
    """The block called ``name``, or the one whose unsplit peak is the largest."""
    from costcalc.errors import UsageError

    units = find_bottlenecks(graph)
    if not units:
        raise UsageError(f"{graph.name} has no inverted residual blocks to split")
    if name is None:
        return max(units, key=lambda u: block_peak(graph, u, 1)[0])
    for unit in units:
        if unit.name == name:
            return unit
    raise UsageError(f"no inverted residual block {name!r}; blocks: "
                     f"{', '.join(u.name for u in units)}")


def tradeoff_table(graph: Graph, dtype: str, block: str | None = None) -> Table:
    """G = 1, 2, 4, ..., tM on one block, and the same G (capped at each tM) on the whole model."""
    size = dtype_bytes(dtype)
    unit = pick_block(graph, block)
    units = find_bottlenecks(graph)
    rows = []
    for g in powers(unit.hidden):
        groups = _groups(graph, g, units)
        split = [u for u in units if groups[u.name] > 1]
        rows.append({
            "groups": g, "group_channels": -(-unit.hidden // g),
            "block_peak_bytes": block_peak(graph, unit, g)[0] * size,
            "model_peak_bytes": model_peak(graph, groups, units)[0] * size,
            "block_extra_macs": recompute_macs(graph, unit) if g > 1 else 0,
            "model_extra_macs": sum(recompute_macs(graph, u) for u in split),
            "model_inference_extra_macs": sum(recompute_macs(graph, u) for u in split if u.se),
        })
    footer = [f"block {unit.name}: tM = {unit.hidden}; the model column applies min(G, tM) to "
              f"every block; extra MACs do not grow with G (each group is recomputed once)"]
    data = {"model": graph.name, "dtype": dtype, "block": unit.name, "hidden": unit.hidden,
            "rows": rows}
    return Table(f"{graph.name} split trade-off, block {unit.name} ({dtype})", TRADEOFF_COLUMNS,
                 rows, footer, data=data)


def resolution_table(graphs: Sequence[Graph], dtype: str) -> Table:
    """The v2 paper's Table 3: max channels and memory (K = 1000 B) per resolution, per model."""
    columns = [Column("size", "size")]
    per_model = {}
    keys: dict[tuple, None] = {}
    for graph in graphs:
        rows = by_resolution(graph, dtype)
        per_model[graph.name] = {(r.height, r.width): r for r in rows}
        keys.update(dict.fromkeys((r.height, r.width) for r in rows))
        columns += [Column(f"{graph.name}.channels", f"{graph.name} channels"),
                    Column(f"{graph.name}.k", f"{graph.name} K", "number"),
                    Column(f"{graph.name}.op_k", f"{graph.name} per-op K", "number")]
    table_rows = []
    for h, w in sorted(keys, key=lambda k: (-k[0] * k[1], -k[0])):
        row = {"size": f"{h}x{w}"}
        for name, rows in per_model.items():
            r = rows.get((h, w))
            if r is not None:
                row.update({f"{name}.channels": r.channels, f"{name}.k": r.kilobytes,
                            f"{name}.op_k": Fraction(r.op_bound_bytes, K) or None})
        table_rows.append(row)
    maximum = Row({"size": "max"}, style="total")
    for name, rows in per_model.items():
        maximum[f"{name}.k"] = max(r.kilobytes for (h, w), r in rows.items() if r.layer != "input")
    table_rows.append(maximum)
    data = {"dtype": dtype, "kilobyte": K, "models": {
        name: [{"height": r.height, "width": r.width, "channels": r.channels, "layer": r.layer,
                "bytes": r.bytes, "op_bound_bytes": r.op_bound_bytes} for r in rows.values()]
        for name, rows in per_model.items()}}
    footer = ["materialised: every tensor except the group-processed internals of inverted "
              "residuals and a conv output that only feeds a global pool; K = 1000 B; "
              "max leaves out the input image",
              "per-op K: largest inputs + output of an op that stays at this resolution"]
    return Table(f"max channels / memory per resolution ({dtype})", columns, table_rows, footer,
                 data=data)


def report_columns(report, dtype: str = "fp32"):
    """Memory columns for the main report (``costcalc MODEL --memory``): a ``ColumnGroup``.

    Layers get their output-tensor bytes and weight bytes; block and total rows their sums.
    The footer and the JSON (key ``memory``) carry the inference peak and where it occurs.
    """
    from costcalc.costing.report_table import ColumnGroup

    size = dtype_bytes(dtype)
    memory = analyze_memory(report.graph, dtype)

    def values(row) -> dict:
        return {"activation_bytes": row.node.shape.elements * size,
                "weight_bytes": weight_elements(row.node) * size}

    footer = [f"memory ({dtype}): peak {memory.peak_bytes:,} B at {memory.peak_layer}; "
              f"weights {memory.weight_bytes:,} B (BN folded); per-op bound "
              f"{memory.op_bound_bytes:,} B at {memory.op_bound_layer}"]
    data = {"memory": {k: v for k, v in memory.to_dict().items() if k != "layers"}}
    return ColumnGroup([Column("activation_bytes", "act. bytes", "count"),
                        Column("weight_bytes", "weight bytes", "count", priority=1)],
                       values, footer=footer, data=data)
