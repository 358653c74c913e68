"""The built model: tensors, nodes with their block and role, block scopes, and the graph."""
from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc.graph.registry import Shape
from costcalc.records import Record

# Roles a node (or a nested block) plays in its enclosing block. Analyses look for these, never
# for node names: memory splitting finds inverted residuals by expand/dw/project, the report
# labels blocks by them. A spec entry may declare one with ``role:``.
ROLES = ("expand", "dw", "pw", "project", "se", "pool", "reduce", "excite", "scale", "add",
         "shortcut", "branch", "split", "merge", "act", "identity", "conv", "body",
         "qkv", "scores", "softmax", "context", "proj")


class Tensor(namedtuple("Tensor", "node shape")):
    """A value flowing through the graph: the node that made it (-1 = model input) and its shape."""

    __slots__ = ()


class Block(namedtuple("Block", "name kind parent role", defaults=(None, None))):
    """A block scope: a composite kind's or a user block's instance, nested in ``parent``;
    ``role`` is the whole block's role in its parent (``se`` in a bneck)."""

    __slots__ = ()


class Node(Record):
    """One primitive layer: where its inputs come from, its output shape and its counts.

    ``block`` is the top-level entry it belongs to (the unit the report subtotals); ``scope`` is
    the innermost block scope it was added in and ``role`` its part there (``expand``, ``dw``,
    ``project``...). ``counts``, ``info`` and ``shape`` may be one object shared by identical
    layers (``costcalc.graph.shared``): give a node a new mapping rather than changing its own.
    """

    _FIELDS = __slots__ = ("name", "kind", "inputs", "shape", "counts", "info", "line", "block",
                           "scope", "role")

    def __init__(self, name: str, kind: str, inputs: tuple[int, ...], shape: Shape,
                 counts: dict[str, Any], info: dict[str, Any] | None = None,
                 line: int | None = None, block: str = "", scope: str | None = None,
                 role: str | None = None):
        self.name, self.kind, self.inputs, self.shape = name, kind, inputs, shape
        self.counts = counts
        self.info = {} if info is None else info
        self.line, self.block, self.scope, self.role = line, block, scope, role


class Graph(Record):
    """The built model: nodes in execution order, the input shape and the block scopes."""

    _FIELDS = ("name", "input", "nodes", "symbolic", "blocks", "notes", "outputs",
               "output_names", "names", "taps", "backbone")

    def __init__(self, name: str, input: Shape, nodes: list[Node], symbolic: bool = False,
                 blocks: dict[str, Block] | None = None, notes: list[str] | None = None,
                 outputs: list[int] | None = None, output_names: list[str] | None = None,
                 names: dict[str, int] | None = None, taps: dict[str, int] | None = None,
                 backbone: str | None = None):
        self.name, self.input, self.nodes, self.symbolic = name, input, nodes, symbolic
        self.blocks = {} if blocks is None else blocks
        self.notes = [] if notes is None else notes  # what an importer wants the report to say
        # The model's outputs (node indices) and the names a spec gave them; empty = the last node.
        self.outputs = [] if outputs is None else outputs
        self.output_names = [] if output_names is None else output_names
        # Named tensors beyond node names (entry outputs, taps): name -> node index (-1 = input).
        self.names = {} if names is None else names
        self.taps = {} if taps is None else taps
        self.backbone = backbone  # the backbone model a head spec was built on (its nodes are
        #                           named ``backbone.*``)

    def output_indices(self) -> list[int]:
        """The nodes whose outputs are the model's outputs (the last node unless declared)."""
        if self.outputs:
            return list(self.outputs)
        return [len(self.nodes) - 1] if self.nodes else []

    def output_labels(self) -> list[str]:
        """A name per output: the declared one, else the node's name."""
        indices = self.output_indices()
        if len(self.output_names) == len(indices):
            return list(self.output_names)
        return ["input" if i < 0 else self.nodes[i].name for i in indices]

    def part(self, node: Node) -> str:
        """``backbone`` or ``head`` for a graph built on a backbone, else ``model``."""
        if self.backbone is None:
            return "model"
        return "backbone" if node.name.startswith("backbone.") else "head"

    def members(self) -> dict[str, dict[str, list[int]]]:
        """Per block scope: node indices by role (nodes without a role are left out)."""
        result: dict[str, dict[str, list[int]]] = {}
        for index, node in enumerate(self.nodes):
            if node.scope is not None and node.role is not None:
                result.setdefault(node.scope, {}).setdefault(node.role, []).append(index)
        return result
