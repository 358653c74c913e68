"""A Report as a neutral Table: layers grouped by block with subtotals, ratios and a footer.

Blocks are the top-level spec entries (the first dotted component of node names). ``depth``
0 shows the total only, 1 one row per block, 2 every layer under its block's subtotal row.
Extra column groups (e.g. memory) plug in through ``ColumnGroup`` without touching this file.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import groupby

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Callable, Sequence

    from costcalc.graph.core import Graph
    from costcalc.graph.registry import Shape

from costcalc import numbers
from costcalc.costing.report import Report, Row, json_value
from costcalc.costing.breakdown import by_op_class, line as op_class_line
from costcalc.costing.ratios import BlockRatio, block_ratio
from costcalc.records import Record
from costcalc.table import Column, Table
from costcalc.table import Row as TableRow

FULL_DEPTH = 2
# How a narrow terminal writes block and layer kinds.
SHORT_KINDS = (("inverted residual", "inv-res"), ("dw separable", "dw-sep"),
               ("global_avg_pool", "gap"), ("hard_swish", "hswish"), ("hard_sigmoid", "hsigmoid"))
# In a narrow terminal, columns go in this order: the formula ratio (which equals dw+pw/std for
# every separable pair, so it is shown only where they differ), then block/std, the shares...
RATIO_COLUMNS = [Column("pair_ratio", "dw+pw/std", "ratio", priority=6),
                 Column("formula", "1/N+1/K^2", "ratio", priority=9, same_as="pair_ratio"),
                 Column("block_ratio", "block/std", "ratio", priority=7)]
RATIO_NOTE = ("ratios: dw+pw/std = depthwise + pointwise MACs over the standard KxK conv they "
              "replace; 1/N+1/K^2 = the same ratio by formula (N = pointwise outputs, K = "
              "depthwise kernel); block/std = all the block's MACs over one standard KxK conv "
              "from the block's input to its output channels")


# Shown on request (``--columns``): the layer's input shape, its conv geometry and the layers
# it reads ("connected to"); a block row shows its first layer's input and what feeds it.
OPTIONAL_COLUMNS = [Column("input", "input"), Column("kernel", "kernel", "number"),
                    Column("stride", "stride", "number"), Column("groups", "groups", "number"),
                    Column("dilation", "dilation", "number"),
                    Column("inputs", "connected to", shrink=True)]
GEOMETRY = ("kernel", "stride", "groups", "dilation")


class ColumnGroup(Record):
    """Extra report columns: ``values(row)`` gives a layer's cells keyed by column key.

    Block and total rows get the sum of their layers for ``count`` columns (or ``combine(rows)``
    when given); ``footer`` lines and ``data`` (merged into the JSON) come along.
    """

    _FIELDS = ("columns", "values", "combine", "footer", "data", "layer_data")

    def __init__(self, columns: Sequence[Column], values: Callable[[Row], dict[str, Any]],
                 combine: Callable[[Sequence[Row]], dict[str, Any]] | None = None,
                 footer: Sequence[str] = (), data: dict[str, Any] | None = None,
                 layer_data: Callable[[Row], dict[str, Any]] | None = None):
        self.columns, self.values, self.combine = columns, values, combine
        self.footer, self.layer_data = footer, layer_data
        self.data = {} if data is None else data

    def summary(self, rows: Sequence[Row]) -> dict[str, Any]:
        if self.combine is not None:
            return self.combine(rows)
        cells = [self.values(r) for r in rows]
        return {c.key: sum((cell.get(c.key) or 0 for cell in cells), 0)
                for c in self.columns if c.kind == "count"}


class Block(Record):
    """Consecutive layers of one top-level entry."""

    _FIELDS = ("name", "rows", "ratio")

    def __init__(self, name: str, rows: list[Row], ratio: BlockRatio | None):
        self.name, self.rows, self.ratio = name, rows, ratio

    @property
    def kind(self) -> str:
        if len(self.rows) == 1:
            return self.rows[0].kind
        ops = {r.op_class for r in self.rows}
        roles = {r.node.role for r in self.rows}
        if self.ratio is not None:
            label = "inverted residual" if roles & {"expand", "project"} else "dw separable"
            return label + ("+SE" if "se" in ops else "")
        return "residual" if any(r.kind == "add" for r in self.rows) else "block"


def blocks(report: Report) -> list[Block]:
    """The report's layers grouped by top-level entry, with separable ratios."""
    result = []
    for name, group in groupby(report.layers, key=lambda r: r.block):
        rows = list(group)
        ratio = block_ratio([r.node for r in rows], report.convention) if len(rows) > 1 else None
        result.append(Block(name, rows, ratio))
    return result


def _shape_text(shape: Sequence) -> str:
    """``CxHxW`` (a map), ``NxD tokens`` (tokens, which say so), '' for no shape."""
    return shape.text() if hasattr(shape, "text") else "x".join(map(str, shape))


def _geometry(value: Any) -> Any:
    """A kernel, stride... as a cell: an int as is, a pair as ``3x5``."""
    if isinstance(value, (tuple, list)):
        return "x".join(map(str, value))
    return value


def optional_cells(report: Report, rows: Sequence[Row]) -> dict[str, Any]:
    """The optional columns of a layer (one row) or a block (its rows)."""
    graph = report.graph
    index = {id(node): i for i, node in enumerate(graph.nodes)}
    inside = {index[id(r.node)] for r in rows}
    first = rows[0].node

    def name(i: int) -> str:
        return "input" if i < 0 else graph.nodes[i].name

    def shape(i: int) -> Sequence:
        return graph.input if i < 0 else graph.nodes[i].shape

    feeds = list(dict.fromkeys(i for r in rows for i in r.node.inputs if i not in inside))
    cells: dict[str, Any] = {
        "input": " + ".join(_shape_text(shape(i)) for i in first.inputs) if first.inputs else "",
        "inputs": ", ".join(map(name, feeds))}
    if len(rows) == 1:
        cells.update({key: _geometry(first.info.get(key)) for key in GEOMETRY})
    return cells


def report_table(report: Report, depth: int = FULL_DEPTH, flops: bool = False,
                 extra: Sequence[ColumnGroup] = (), data: bool = True,
                 rows: bool = True, optional: bool = False, lazy: bool = False) -> Table:
    """The per-layer report of ``report`` as a Table (every format renders it).

    ``data=False`` leaves out the JSON content (text formats never read it); ``rows=False``
    leaves out the table rows (JSON reads only the content); ``optional`` adds the input,
    geometry and "connected to" columns after the others; ``lazy`` makes the JSON content's
    layers and blocks on demand (``report_data``), for a writer that streams them."""
    total = report.total
    convention = report.convention
    # blocks (and their separable ratios) are read by block rows and by the JSON content only
    groups = blocks(report) if (depth >= 1 and rows) or data else []
    has_ratios = depth >= 1 and any(b.ratio for b in groups)

    columns = [Column("name", "layer"), Column("kind", "kind", shrink=True, short=SHORT_KINDS),
               Column("output", "output"), Column("macs", "MACs", "count"),
               Column("macs_pct", "%MACs", "percent", priority=4)]
    if flops:
        columns.append(Column("flops", "FLOPs", "count", priority=2))
    columns += [Column("params", "params", "count"),
                Column("params_pct", "%params", "percent", priority=5),
                Column("activations", "activations", "count", priority=3)]
    for group in extra:
        columns += list(group.columns)
    if has_ratios:
        columns += RATIO_COLUMNS
    if optional:
        columns += OPTIONAL_COLUMNS

    def cells(name, kind, output, rows: Sequence[Row]) -> dict[str, Any]:
        macs = sum((r.macs for r in rows), 0)
        params = sum((r.params for r in rows), 0)
        cell = {"name": name, "kind": kind, "output": _shape_text(output),
                "macs": macs, "macs_pct": _pct(macs, total.macs), "params": params,
                "params_pct": _pct(params, total.params),
                "activations": sum((r.activations for r in rows), 0)}
        if flops:
            cell["flops"] = sum((convention.node_flops(r.node.counts) for r in rows), 0)
        for group in extra:
            cell.update(group.values(rows[0]) if len(rows) == 1 and name == rows[0].name
                        else group.summary(rows))
        if optional and name != "total":
            cell.update(optional_cells(report, rows))
        return cell

    table_rows: list[dict[str, Any]] = []
    if depth >= 1 and rows:
        for block in groups:
            single = len(block.rows) == 1
            head = cells(block.name if not single else block.rows[0].name, block.kind,
                         block.rows[-1].node.shape, block.rows)
            if block.ratio is not None:
                head.update(pair_ratio=float(block.ratio.pair),
                            formula=float(block.ratio.formula),
                            block_ratio=float(block.ratio.block))
            nested = depth >= FULL_DEPTH and not single
            table_rows.append(TableRow(head, style="subtotal" if nested else ""))
            if nested:
                for row in block.rows:
                    table_rows.append(TableRow(cells(row.name, row.kind, row.node.shape,
                                                     [row]), indent=1))
    if rows:
        table_rows.append(TableRow(cells("total", "", (), report.layers), style="total"))

    footer = footer_lines(report, flops) if rows else []  # JSON shows the data only
    if has_ratios:
        footer.append(RATIO_NOTE)
    for group in extra:
        footer += list(group.footer)
    return Table(f"{report.model} ({convention.name} convention)", columns, table_rows, footer,
                 data=report_data(report, groups, flops, extra, lazy) if data else {})


def _pct(part: Any, whole: Any) -> float | None:
    if not whole:
        return None
    if type(part) is int and type(whole) is int:  # int / int is correctly rounded, as the
        return 100 * part / whole                  # Fraction's float is: the same float, faster
    return float(Fraction(part, whole) * 100)


def _both(value: Any, unit: str) -> str:
    """``568,740,352 MACs (568.74M)``: exact and humanised, whatever the output format."""
    from costcalc.render.cells import human

    if abs(value) < 1000:
        return f"{value:,} {unit}"
    return f"{value:,} {unit} ({human(value)})"


def parameter_text(parameters: dict[str, Any], base_resolution: Any = None) -> str:
    """``alpha=0.5, resolution=160 (rho=0.7143 = 160/224), classes=1000, ...``.

    rho is resolution / ``base_resolution`` (the spec's default resolution), as in ``formula``;
    it is left out when the spec has no such default."""
    from costcalc import numbers

    parts = []
    for name, value in parameters.items():
        shown = numbers.param_text(value)
        if name == "resolution" and base_resolution is not None and numbers.is_exact(value) \
                and not isinstance(value, bool):
            rho = Fraction(value) / Fraction(base_resolution)
            shown += (f" (rho={numbers.significant(rho)} = {numbers.format_number(value)}/"
                      f"{numbers.format_number(base_resolution)})")
        parts.append(f"{name}={shown}")
    return ", ".join(parts) or "none"


def footer_lines(report: Report, flops: bool = False) -> list[str]:
    total = report.total
    convention = report.convention
    lines = [f"total: {_both(total.macs, 'MACs')}, {_both(total.params, 'params')}, "
             f"{_both(total.activations, 'activations')}"]
    if flops:
        rule = ("2 x MACs" if convention.flops is None
                else f"the {convention.name} convention's FLOP weights")
        lines.append(f"total: {_both(report.flops(), 'FLOPs')}, FLOPs = {rule}")
    lines.append(f"convention: {convention.name}: {convention.description}")
    lines.append(f"parameters: {parameter_text(report.parameters, report.base_resolution)}")
    lines.append(op_class_line(report.layers, "macs", "MACs"))
    lines.append(op_class_line(report.layers, "params", "params"))
    lines += graph_lines(report)
    lines += report.graph.notes  # an importer's notes: unknown ops, folded BatchNorm
    return lines


def graph_lines(report: Report) -> list[str]:
    """The outputs line (a spec that declares outputs) and the parts line (a head on a
    backbone): each part's MACs and params, which sum to the totals."""
    lines = []
    outputs = _outputs(report.graph)
    if outputs:
        lines.append("outputs: " + ", ".join(f"{label} {_shape_text(shape)}"
                                             for label, shape in outputs))
    for entry in parts_data(report) or ():
        lines.append(f"part {entry['name']}: {_both(entry['macs'], 'MACs')}, "
                     f"{_both(entry['params'], 'params')}")
    return lines


def outputs_data(report: Report) -> list[dict] | None:
    """Each declared output's name and shape (None when the spec declares none)."""
    outputs = _outputs(report.graph)
    if outputs is None:
        return None
    return [{"name": label, "output": list(shape), **numbers.json_tokens(shape)}
            for label, shape in outputs]


def _outputs(graph: Graph) -> list[tuple[str, Shape]] | None:
    """Each declared output's label and shape (None when the spec declares none)."""
    if not graph.output_names and len(graph.output_indices()) < 2:
        return None
    return [(label, graph.input if i < 0 else graph.nodes[i].shape)
            for label, i in zip(graph.output_labels(), graph.output_indices())]


def parts_data(report: Report) -> list[dict] | None:
    """Backbone and head subtotals of a head spec (None for other models)."""
    graph = report.graph
    if graph.backbone is None:
        return None
    result = []
    for part in ("backbone", "head"):
        rows = [r for r in report.layers if graph.part(r.node) == part]
        result.append({"name": part, "model": graph.backbone if part == "backbone" else
                       report.model, "macs": sum((r.macs for r in rows), 0),
                       "params": sum((r.params for r in rows), 0),
                       "activations": sum((r.activations for r in rows), 0)})
    return result


def report_data(report: Report, groups: Sequence[Block], flops: bool,
                extra: Sequence[ColumnGroup], lazy: bool = False) -> dict[str, Any]:
    """The #2 JSON contract plus block subtotals, ratios, shares and op-class breakdown.

    ``lazy``: the layers and blocks are ``Chunks``, made a piece at a time as the JSON is
    written (a report of 100,000 layers is never held as 100,000 mappings)."""
    total = report.total
    convention = report.convention
    if lazy:  # only the JSON writer reads these lazy lists, and it has loaded that module
        from costcalc.render.json_text import Chunks

    def layer(row: Row) -> dict[str, Any]:
        entry = report.layer_dict(row)
        entry["block"] = row.block
        entry["op_class"] = row.op_class
        entry["macs_percent"] = _pct(row.macs, total.macs)
        entry["params_percent"] = _pct(row.params, total.params)
        if flops:
            entry["flops"] = convention.node_flops(row.node.counts)
        for group in extra:
            entry.update(group.layer_data(row) if group.layer_data else group.values(row))
        return entry

    def block_entry(block: Block) -> dict[str, Any]:
        entry = {"name": block.name, "kind": block.kind, "layers": [r.name for r in block.rows],
                 "output": list(block.rows[-1].output),
                 **numbers.json_tokens(block.rows[-1].node.shape),
                 "macs": sum((r.macs for r in block.rows), 0),
                 "params": sum((r.params for r in block.rows), 0),
                 "activations": sum((r.activations for r in block.rows), 0)}
        if block.ratio is not None:
            entry["separable"] = block.ratio.to_dict()
        return entry

    data = report.json_content(Chunks(report.layers, layer) if lazy
                               else [layer(row) for row in report.layers])
    if report.graph.notes:
        data["notes"] = list(report.graph.notes)
    if flops:
        data["total"]["flops"] = report.flops()
    data["blocks"] = Chunks(groups, block_entry) if lazy else [block_entry(b) for b in groups]
    data["op_classes"] = {
        metric: [{"op_class": label, metric: amount, "percent": float(share * 100)}
                 for label, amount, share in by_op_class(report.layers, metric)]
        for metric in ("macs", "params")}
    data["parameters"] = {k: json_value(v) for k, v in report.parameters.items()}
    for key, value in (("outputs", outputs_data(report)), ("parts", parts_data(report))):
        if value is not None:
            data[key] = value
    for group in extra:
        data.update(group.data)
    return data
