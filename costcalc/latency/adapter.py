"""The latency model's only link to the engine: built graphs -> plain per-layer records.

Everything the latency package needs from the rest of costcalc goes through this module
(building a model, the located YAML loader, errors, tables and renderers), so moving the
engine's modules means editing the imports here and nothing else. Engine modules are imported
inside the functions that use them, which keeps ``import costcalc.latency`` light.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

from costcalc import numbers  # the number-to-text rules (a leaf module, cheap to import)
from costcalc.errors import CostcalcError, SpecError, UsageError
from costcalc.table import Row  # a table row; style="total" sets a total apart

__all__ = ["numbers", "Row", "CostcalcError", "SpecError", "UsageError", "LayerRecord", "records", "build",
           "model_records", "load_yaml", "read_text", "position", "table", "render",
           "parse_number"]

# Engine kinds that are views at inference (no data moves) and element-wise kinds.
VIEW_KINDS = frozenset({"flatten", "dropout", "identity", "channel_split"})
# Count keys (costcalc.counts) that are element operations of a node, not multiply-adds.
# Engine op classes of nodes with multiply-adds -> the latency model's op classes. SE convs are
# 1x1 convs on a 1x1 map: matrix-vector products like a fully connected layer.
MAC_CLASSES = {"conv": "conv", "depthwise": "depthwise", "pointwise": "pointwise",
               "linear": "linear", "se": "linear"}
ELEMENT_KEYS = ("bn", "add", "mul", "gap_in", "avgpool_window", "maxpool_window")


@dataclass(frozen=True)
class LayerRecord:
    """One primitive layer as the latency model sees it (all counts exact ints, batch 1).

    ``op`` is the op class: conv (standard K x K, grouped or not), depthwise, pointwise (1x1),
    linear, elementwise (BN, activations, adds, SE scaling, pools, concat, shuffle) or view.
    ``macs`` are multiply-adds (convs and linear layers); ``element_ops`` are the element
    operations of non-MAC layers. ``post_elements`` are the elements written by the BatchNorm
    and activation that the engine fused into a conv node (``post_ops`` of them: 0, 1 or 2).
    ``inputs`` are indices of the producing records (-1 = the model input), ``input_sizes``
    their elements; ``weight_elements`` are stored parameters at inference (BN folded).
    """

    name: str
    block: str
    kind: str
    op: str
    macs: int
    element_ops: int
    inputs: tuple[int, ...]
    input_sizes: tuple[int, ...]
    output_elements: int
    weight_elements: int
    kernel: int = 1
    stride: int = 1
    groups: int = 1
    in_channels: int = 0
    out_channels: int = 0
    out_pixels: int = 1
    post_ops: int = 0
    post_elements: int = 0
    is_view: bool = False
    line: int | None = None

    @property
    def input_elements(self) -> int:
        return sum(self.input_sizes)


def records(graph: Any) -> list[LayerRecord]:
    """The per-layer records of an exact (not symbolic) built graph, in execution order."""
    from costcalc.memory.liveness import weight_elements

    out: list[LayerRecord] = []
    for node in graph.nodes:
        info, counts = node.info, node.counts
        sizes = tuple(graph.input.elements if i < 0 else graph.nodes[i].shape.elements
                      for i in node.inputs)
        macs = counts.get("conv_macs", 0) + counts.get("linear_macs", 0)
        op_class = info.get("op_class", "other")
        post_ops = post_elements = 0
        if macs or op_class in MAC_CLASSES:
            op = MAC_CLASSES.get(op_class) or ("pointwise" if info.get("kernel", 1) == 1 else "conv")
            element_ops = 0
            if info.get("bn"):
                post_ops, post_elements = post_ops + 1, post_elements + node.shape.elements
            if info.get("act", "none") != "none":
                post_ops, post_elements = post_ops + 1, post_elements + node.shape.elements
        elif node.kind in VIEW_KINDS:
            op, element_ops = "view", 0
        else:
            op = "elementwise"
            element_ops = sum(counts.get(k, 0) for k in ELEMENT_KEYS) + sum(
                v for k, v in counts.items() if k.startswith("act_"))
            if not element_ops:  # concat, channel shuffle: a copy of every element
                element_ops = node.shape.elements
        out.append(LayerRecord(
            name=node.name, block=node.block, kind=node.kind, op=op, macs=macs,
            element_ops=element_ops, inputs=tuple(node.inputs), input_sizes=sizes,
            output_elements=node.shape.elements, weight_elements=weight_elements(node),
            kernel=info.get("kernel", 1), stride=info.get("stride", 1),
            groups=info.get("groups", 1), in_channels=info.get("in_channels", 0),
            out_channels=node.shape.c, out_pixels=node.shape.h * node.shape.w,
            post_ops=post_ops, post_elements=post_elements, is_view=op == "view",
            line=node.line))
    return out


def build(model: str, parameters: Mapping[str, Any] | None = None) -> tuple[Any, dict]:
    """Build zoo model or spec file ``model`` at ``parameters`` (text or exact numbers).

    Returns the graph and the resolved parameters.
    """
    from costcalc.costing import conventions
    from costcalc.costing.analyze import resolve
    from costcalc.spec.models import load

    spec = load(model)
    values = resolve(spec, dict(parameters or {}), conventions.get("paper"))
    return spec.build(values), values


def model_records(model: str, parameters: Mapping[str, Any] | None = None) -> list[LayerRecord]:
    """``records(build(model, parameters))``."""
    return records(build(model, parameters)[0])


def load_yaml(path: str) -> Any:
    """A YAML file as located plain values (numbers exact); SpecError with file:line:col."""
    from costcalc.spec import source

    return source.load(source.read_text(path), path)


def read_text(path: str) -> str:
    from costcalc.spec import source

    return source.read_text(path)


def position(container: Any, key: Any = None, at_key: bool = False) -> tuple[int | None, int | None]:
    """(line, column) of ``container[key]`` (of the key itself with ``at_key``) or of the container."""
    from costcalc.spec import source

    pos = source.position(container, key) if key is not None else None
    if at_key and isinstance(container, source.Mapping):
        pos = container.key_pos.get(key, pos)
    pos = pos or getattr(container, "pos", None)
    return (pos.line, pos.column) if pos else (None, None)


def table(title: str, columns: list[tuple[str, str, str]], rows: list[dict | Row],
          footer: list[str] | None = None, data: dict | None = None) -> Any:
    """A neutral Table from (key, title, kind) column triples; plain dict rows become Rows."""
    from costcalc.table import Column, Table

    kept = [row if isinstance(row, Row) else Row(row) for row in rows]
    return Table(title, [Column(*c) for c in columns], kept, footer or [], data or {})


def render(tables: Any, fmt: str, exact: bool = False) -> str:
    """One table, or several one after the other (a JSON list; CSV blocks headed by titles)."""
    if isinstance(tables, list):
        from costcalc.experiments.registry import render_all

        return render_all(tables, fmt, exact=exact)
    from costcalc.render import render as render_one

    return render_one(tables, fmt, exact=exact)


def parse_number(text: str) -> Any:
    """Exact number (int or Fraction) from user text, never through a float; ValueError if not."""
    cleaned = text.strip().replace("_", "")
    match = re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d{1,4}))?|[+-]?\d+/\d+", cleaned)
    if not match or len(cleaned) > 100 or (match.group(2) and abs(int(match.group(2))) > 1000):
        raise ValueError(text)  # nan, inf, text, or an exponent that would build a huge integer
    value = Fraction(cleaned)
    return value.numerator if value.denominator == 1 else value
