"""Inference memory: activation and weight bytes per layer, and the peak by a liveness walk.

Model of execution (batch 1, nodes in graph order, one buffer per tensor):

* A node's output buffer is allocated when the node runs and freed after its last consumer ran,
  so a residual block's input stays alive until the block's add and the inputs of a concat
  until the concat. The graph's outputs (every one a spec declares) are never freed.
* The input image counts: it is alive until its last consumer (the stem).
* Our nodes already fuse conv + BN + activation, so those never need a second buffer. Nodes
  that are views at inference (flatten, dropout, identity, channel_split) alias their input's
  buffer and allocate nothing. Element-wise nodes (add, SE scale, standalone activation and BN)
  work in place: they overwrite an input of the same size whose last consumer they are (the
  projection output of an inverted residual becomes the add's output). Everything else,
  concat included, writes a fresh buffer.
* The v2 paper's simple bound (Sandler et al. 2018, Sec. 5.1) is the largest ``inputs +
  output`` over single ops, which ignores tensors kept alive for later ops (residuals).

Weights: ``weights + biases`` of each node; BatchNorm fused into a conv is folded at inference
and adds one bias per output channel when the conv had none; a standalone BN layer keeps its
scale and shift (2 per channel). Every tensor uses the same dtype (an int8 deployment usually
keeps int32 biases; not modelled).
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Iterable, Sequence

from costcalc import numbers
from costcalc.graph import quantities as q
from costcalc.errors import UsageError
from costcalc.graph.core import Graph, Node
from costcalc.graph.registry import lookup
from costcalc.records import Record

DTYPES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
INPUT = "input"


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of ``dtype`` (fp32, fp16, bf16, int8)."""
    try:
        return DTYPES[dtype]
    except KeyError:
        raise UsageError(f"unknown dtype {dtype!r}; valid: {', '.join(DTYPES)}") from None


def weight_elements(node: Node) -> int:
    """Stored parameters of a node at inference (BN folded into the conv before it)."""
    counts = node.counts
    total = counts.get(q.WEIGHTS, 0) + counts.get(q.BIASES, 0)
    if node.kind == "bn":
        return total + counts.get(q.BN_AFFINE, 0)
    if counts.get(q.BN_CHANNELS) and not node.info.get("bias"):
        total += counts[q.BN_CHANNELS]
    return total


class Step(Record):
    """One operation of a schedule: the buffers it reads and the buffer it writes.

    ``writes`` names a new buffer of ``size`` elements unless that buffer already exists (an
    accumulation or an in-place update).
    """

    _FIELDS = ("name", "reads", "writes", "size")

    def __init__(self, name: str, reads: tuple[str, ...], writes: str | None, size: int = 0):
        self.name = name
        self.reads = reads
        self.writes = writes
        self.size = size


def walk(steps: Sequence[Step], initial: dict[str, int], keep: Iterable[str] = ()) -> list[int]:
    """Elements alive during each step of ``steps``.

    Args:
        steps: the schedule in order.
        initial: buffers alive before the first step (name -> elements), e.g. the input image.
        keep: buffers never freed (the model's outputs).

    Returns:
        For each step, the sum of the buffers alive while it runs: everything allocated before
        it and not yet freed, plus its own new output. A buffer is freed after its last use.
    """
    last: dict[str, int] = {}
    for index, step in enumerate(steps):
        for name in (*step.reads, step.writes):
            if name is not None:
                last[name] = index
    kept = set(keep)
    sizes = dict(initial)
    live = sum(sizes.values())
    for name in [n for n in initial if n not in last and n not in kept]:
        live -= sizes.pop(name)
    result = []
    for index, step in enumerate(steps):
        if step.writes is not None and step.writes not in sizes:
            sizes[step.writes] = step.size
            live += step.size
        result.append(live)
        for name in {*step.reads, step.writes} - {None}:
            if last.get(name) == index and name not in kept and name in sizes:
                live -= sizes.pop(name)
    return result


def consumers(graph: Graph) -> dict[int, list[int]]:
    """For each node (and -1, the model input): the nodes that read its output, in order."""
    result: dict[int, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        for j in node.inputs:
            result.setdefault(j, []).append(i)
    return result


class Buffers:
    """Which buffer each node's output lives in: views alias, element-wise nodes reuse in place."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.readers = consumers(graph)
        self.buffer: dict[int, str] = {-1: INPUT}
        self.members: dict[str, list[int]] = {INPUT: [-1]}

    def assign(self, index: int, name: str) -> None:
        """Record that node ``index`` writes into buffer ``name``."""
        self.buffer[index] = name
        self.members.setdefault(name, []).append(index)

    def dies_at(self, name: str, index: int) -> bool:
        """True when no node after ``index`` reads buffer ``name``."""
        return all(max(self.readers.get(m, [index])) <= index for m in self.members[name])

    def step(self, index: int) -> Step:
        """Node ``index`` as a schedule step, choosing (and recording) its output buffer."""
        node = self.graph.nodes[index]
        reads = tuple(dict.fromkeys(self.buffer[j] for j in node.inputs))
        target = None
        kind = lookup(node.kind)  # buffer behaviour: ``memory=`` in the kind's registration
        memory = kind.memory if kind is not None else None
        memory = node.info.get("memory", memory)  # a node may differ (a functional call)
        if memory == "view" and node.inputs:
            target = self.buffer[node.inputs[0]]
        elif memory == "inplace":
            for j in node.inputs:
                if _elements(self.graph, j) == node.shape.elements and \
                        self.dies_at(self.buffer[j], index):
                    target = self.buffer[j]
                    break
        self.assign(index, target or f"n{index}")
        return Step(node.name, reads, self.buffer[index], node.shape.elements)


def output_buffers(graph: Graph, steps: Sequence[Step]) -> list[str]:
    """The buffers holding the model's outputs (every declared output, never freed)."""
    return [INPUT if i < 0 else steps[i].writes for i in graph.output_indices() if steps]


def node_steps(graph: Graph) -> list[Step]:
    """The graph as a schedule: one step per node."""
    buffers = Buffers(graph)
    return [buffers.step(i) for i in range(len(graph.nodes))]


def _elements(graph: Graph, index: int) -> int:
    return graph.input.elements if index < 0 else graph.nodes[index].shape.elements


class LayerMemory(Record):
    """One layer: output tensor bytes, weight bytes, bytes alive while it runs, the per-op bound."""

    _FIELDS = ("name", "kind", "output", "activation_bytes", "weight_bytes", "live_bytes",
               "op_bytes")

    def __init__(self, name: str, kind: str, output: tuple, activation_bytes: int,
                 weight_bytes: int, live_bytes: int, op_bytes: int):
        self.name = name
        self.kind = kind
        self.output = output
        self.activation_bytes = activation_bytes
        self.weight_bytes = weight_bytes
        self.live_bytes = live_bytes
        self.op_bytes = op_bytes


class MemoryReport(Record):
    """Per-layer memory of a graph and its inference peak, in bytes of ``dtype``."""

    _FIELDS = ("model", "dtype", "layers", "input_bytes", "peak_bytes", "peak_layer",
               "op_bound_bytes", "op_bound_layer")

    def __init__(self, model: str, dtype: str, layers: list[LayerMemory], input_bytes: int,
                 peak_bytes: int, peak_layer: str, op_bound_bytes: int, op_bound_layer: str):
        self.model = model
        self.dtype = dtype
        self.layers = layers
        self.input_bytes = input_bytes
        self.peak_bytes = peak_bytes
        self.peak_layer = peak_layer
        self.op_bound_bytes = op_bound_bytes
        self.op_bound_layer = op_bound_layer

    @property
    def weight_bytes(self) -> int:
        return sum(layer.weight_bytes for layer in self.layers)

    def to_dict(self) -> dict:
        """JSON: ``peak_bytes``, ``peak_layer``, per-layer ``activation_bytes``, ``weight_bytes``."""
        return {
            "model": self.model, "dtype": self.dtype, "bytes_per_element": DTYPES[self.dtype],
            "input_bytes": self.input_bytes, "peak_bytes": self.peak_bytes,
            "peak_layer": self.peak_layer, "op_bound_bytes": self.op_bound_bytes,
            "op_bound_layer": self.op_bound_layer, "weight_bytes": self.weight_bytes,
            "layers": [{"name": r.name, "kind": r.kind, "output": list(r.output),
                        **numbers.json_tokens(r.output),
                        "activation_bytes": r.activation_bytes, "weight_bytes": r.weight_bytes,
                        "live_bytes": r.live_bytes, "op_bytes": r.op_bytes}
                       for r in self.layers],
        }


def op_bound(graph: Graph, index: int) -> int:
    """Elements of one op's inputs plus its output (the v2 paper's per-op memory)."""
    node = graph.nodes[index]
    return sum(_elements(graph, j) for j in dict.fromkeys(node.inputs)) + node.shape.elements


def analyze_memory(graph: Graph, dtype: str = "fp32") -> MemoryReport:
    """Per-layer activation and weight bytes of ``graph`` and its peak inference memory."""
    size = dtype_bytes(dtype)
    if graph.symbolic:
        raise UsageError("memory needs a numeric model (no symbolic parameters)")
    steps = node_steps(graph)
    last = len(graph.nodes) - 1
    live = walk(steps, {INPUT: graph.input.elements}, keep=output_buffers(graph, steps))
    layers = [LayerMemory(n.name, n.kind, n.shape, n.shape.elements * size,
                          weight_elements(n) * size, live[i] * size, op_bound(graph, i) * size)
              for i, n in enumerate(graph.nodes)]
    peak = max(range(last + 1), key=lambda i: (layers[i].live_bytes, -i))
    bound = max(range(last + 1), key=lambda i: (layers[i].op_bytes, -i))
    return MemoryReport(graph.name, dtype, layers, graph.input.elements * size,
                        layers[peak].live_bytes, layers[peak].name, layers[bound].op_bytes,
                        layers[bound].name)
