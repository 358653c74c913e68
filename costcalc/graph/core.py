"""The built model: tensors, nodes with their block and role, block scopes, and the graph."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from costcalc.graph.registry import Shape

# Roles a node (or a nested block) plays in its enclosing block. Analyses look for these, never
# for node names: memory splitting finds inverted residuals by expand/dw/project, the report
# labels blocks by them. A spec entry may declare one with ``role:``.
ROLES = ("expand", "dw", "pw", "project", "se", "pool", "reduce", "excite", "scale", "add",
         "shortcut", "branch", "split", "merge", "act", "identity", "conv", "body")


class Tensor(NamedTuple):
    """A value flowing through the graph: the node that made it (-1 = model input) and its shape."""

    node: int
    shape: Shape


class Block(NamedTuple):
    """A block scope: a composite kind's or a user block's instance, nested in ``parent``."""

    name: str
    kind: str
    parent: str | None = None
    role: str | None = None  # role of the whole block in its parent (``se`` in a bneck)


@dataclass(slots=True)
class Node:
    """One primitive layer: where its inputs come from, its output shape and its counts.

    ``block`` is the top-level entry it belongs to (the unit the report subtotals); ``scope`` is
    the innermost block scope it was added in and ``role`` its part there (``expand``, ``dw``,
    ``project``...).
    """

    name: str
    kind: str
    inputs: tuple[int, ...]
    shape: Shape
    counts: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    block: str = ""
    scope: str | None = None
    role: str | None = None


@dataclass
class Graph:
    """The built model: nodes in execution order, the input shape and the block scopes."""

    name: str
    input: Shape
    nodes: list[Node]
    symbolic: bool = False
    blocks: dict[str, Block] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what an importer wants the report to say
    # The model's outputs (node indices) and the names a spec gave them; empty = the last node.
    outputs: list[int] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    # Named tensors beyond node names (entry outputs, taps): name -> node index (-1 = input).
    names: dict[str, int] = field(default_factory=dict)
    taps: dict[str, int] = field(default_factory=dict)
    backbone: str | None = None  # the backbone model a head spec was built on (its nodes are
    #                              named ``backbone.*``)

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
