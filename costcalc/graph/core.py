"""The built model: tensors, nodes with their block and role, block scopes, and the graph."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from costcalc.graph.registry import Shape

# Roles a node (or a nested block) plays in its enclosing block. Analyses look for these, never
# for node names: memory splitting finds inverted residuals by expand/dw/project, the report
# labels blocks by them. A spec entry may declare one with ``role:``.
ROLES = ("expand", "dw", "pw", "project", "se", "pool", "reduce", "excite", "scale", "add",
         "shortcut", "branch", "split", "merge", "act", "identity", "conv", "body",
         "qkv", "scores", "softmax", "context", "proj")


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

    def members(self) -> dict[str, dict[str, list[int]]]:
        """Per block scope: node indices by role (nodes without a role are left out)."""
        result: dict[str, dict[str, list[int]]] = {}
        for index, node in enumerate(self.nodes):
            if node.scope is not None and node.role is not None:
                result.setdefault(node.scope, {}).setdefault(node.role, []).append(index)
        return result
