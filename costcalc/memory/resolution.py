"""The v2 paper's Table 3 view: the widest tensor that must be materialised at each resolution.

Materialised tensors are those of the memory-efficient schedule: every node's output except
the group-processed internals of inverted residuals (expansion, depthwise and SE tensors; see
``memory_split``) and the output of a conv whose only consumer is a global average pool (each
channel group can be pooled as soon as it is computed, which is why the paper lists v2's 1280
head channels only at 1x1). The input image is listed at its own resolution. Memory is
``channels * H * W * bytes`` shown in K = 1000 bytes, as the paper's figures are (Sandler et
al. 2018, Table 3: 64 x 112 x 112 x 2 B = 1,605,632 B printed as "1600").
"""
from __future__ import annotations

from fractions import Fraction

from costcalc.graph.core import Graph
from costcalc.memory.liveness import consumers, dtype_bytes, op_bound
from costcalc.memory.split import find_bottlenecks
from costcalc.records import Record

K = 1000


def internal_nodes(graph: Graph) -> set[int]:
    """Nodes whose outputs the memory-efficient schedule never holds in full."""
    hidden: set[int] = set()
    for unit in find_bottlenecks(graph):
        hidden.update(k for k in (unit.expand, unit.dw, *unit.se) if k is not None)
    readers = consumers(graph)
    for i, node in enumerate(graph.nodes):
        users = readers.get(i, [])
        if node.kind in ("conv", "pwconv") and len(users) == 1 and \
                graph.nodes[users[0]].kind == "global_avg_pool":
            hidden.add(i)
    return hidden


class ResolutionRow(Record):
    """One resolution: the widest materialised tensor, and the largest ``inputs + output`` of an
    op that stays at this resolution (the paper's per-op bound, for comparison)."""

    _FIELDS = ("height", "width", "channels", "layer", "bytes", "op_bound_bytes")

    def __init__(self, height: int, width: int, channels: int, layer: str, bytes: int,
                 op_bound_bytes: int):
        self.height = height
        self.width = width
        self.channels = channels
        self.layer = layer
        self.bytes = bytes
        self.op_bound_bytes = op_bound_bytes

    @property
    def kilobytes(self) -> Fraction:
        return Fraction(self.bytes, K)


def by_resolution(graph: Graph, dtype: str = "fp16") -> list[ResolutionRow]:
    """Rows from the largest resolution to the smallest (the input image included)."""
    size = dtype_bytes(dtype)
    hidden = internal_nodes(graph)
    widest: dict[tuple, tuple[int, str]] = {
        (graph.input.h, graph.input.w): (graph.input.c, "input")}
    bound: dict[tuple, int] = {}
    for i, node in enumerate(graph.nodes):
        key = (node.shape.h, node.shape.w)
        inputs = [graph.input if j < 0 else graph.nodes[j].shape for j in node.inputs]
        if all((s.h, s.w) == key for s in inputs):
            bound[key] = max(bound.get(key, 0), op_bound(graph, i))
        if i in hidden:
            continue
        if node.shape.c > widest.get(key, (0, ""))[0]:
            widest[key] = (node.shape.c, node.name)
    rows = []
    for (h, w), (channels, layer) in widest.items():
        rows.append(ResolutionRow(h, w, channels, layer, channels * h * w * size,
                                  bound.get((h, w), 0) * size))
    return sorted(rows, key=lambda r: (-r.height * r.width, -r.height))
