"""The public GraphBuilder: every front end (the YAML walker, importers) adds nodes through it.

A front end opens block scopes, adds nodes of registered kinds with their input tensors, fields,
name and role, and takes the finished Graph. Shapes are inferred and counts recorded by the
kinds themselves (``costcalc.graph.kinds``); the builder checks sizes against the limits.

Example::

    b = GraphBuilder()
    x = b.input(Shape(3, 224, 224))
    with b.block("stem", "stem"):
        y = b.call("conv", x, "stem.conv", role="conv", out=32, stride=2, bn=True, act="relu")
    graph = b.graph("tiny", Shape(3, 224, 224))
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc import limits
from costcalc import numbers
from costcalc.errors import SpecError
from costcalc.graph.core import Block, Graph, Node, Tensor
from costcalc.graph.registry import KINDS, Shape, kind_named, lookup, token_problem
from costcalc.graph.shared import Shared

MAX_NODES = 100_000
MAX_CHANNELS = 10**9


class GraphBuilder:
    """Appends primitive nodes in execution order, each with its block scope and role."""

    def __init__(self, symbolic: bool = False):
        self.symbolic = symbolic
        self.max_nodes = limits.get(limits.LAYERS, MAX_NODES)
        self.nodes: list[Node] = []
        self.lines: dict[str, int | None] = {}  # node name -> source line of its entry
        self.index: dict[str, int] = {}  # node name -> its position in ``nodes``
        self.blocks: dict[str, Block] = {}
        self.group: str | None = None  # top-level entry the next nodes belong to
        self._scope: Block | None = None
        self._role: str | None = None  # role given to the next node or block opened
        self.shared = Shared()  # one copy of each distinct counts, info and shape

    # ------------------------------------------------------------------ scopes
    def input(self, shape: Shape) -> Tensor:
        """The model input as a tensor."""
        return Tensor(-1, shape)

    def block(self, name: str, kind: str, role: str | None = None) -> "_Scope":
        """Open a block scope (``with builder.block(...)``): nodes added inside carry ``name``
        as their scope."""
        parent = self._scope
        scope = Block(name, kind, parent.name if parent else None, role or self._role)
        self.blocks.setdefault(name, scope)
        return _Scope(self, scope, None)

    def role(self, role: str | None) -> "_Scope":
        """Give ``role`` to the next node added or block opened (unless it names its own)."""
        return _Scope(self, self._scope, role)

    def line(self) -> int | None:
        """Source line of the node being added; front ends with positions override this."""
        return None

    # ------------------------------------------------------------------ nodes
    def add_node(self, name: str, kind: str, inputs: tuple[Tensor, ...], shape: Shape,
                 counts: dict[str, Any], *, role: str | None = None, **info: Any) -> Tensor:
        """Append a primitive node; validates its output shape on the exact path and that its
        kind takes the input it got (tokens or a map, ``Kind.tokens``)."""
        spec = KINDS.get(kind) or lookup(kind)
        if spec is not None and spec.tokens != "accept" and inputs and \
                inputs[0].shape.tokens != (spec.tokens == "only"):
            raise SpecError(token_problem(spec, inputs[0]))
        if not self.symbolic:
            c, h, w = shape
            if c < 1 or c > MAX_CHANNELS or h < 1 or h > MAX_CHANNELS or w < 1 or \
                    w > MAX_CHANNELS:  # shape_problem's checks, in its order: it words the error
                self.shape_problem(name, kind, inputs, shape)
        else:
            from costcalc.graph.bounds import problem  # the formula path only

            for label, value in (*zip(("channels", "height", "width"), shape), *counts.items()):
                reason = problem(value)
                if reason:
                    raise SpecError(f"{kind} {name!r}: {label}: {reason}")
        if len(self.nodes) >= self.max_nodes:
            raise SpecError(f"the model has more than {self.max_nodes} layers "
                            f"{limits.hint(limits.LAYERS, self.max_nodes)}")
        if name in self.lines:
            # Rows, formulas and memory are reported by name: two layers under one name would
            # merge their costs in every output keyed by it.
            raise self.duplicate_name(name)
        line = self.lines[name] = self.line()
        self.index[name] = len(self.nodes)
        scope = self._scope
        if self.symbolic:
            kept = None
        else:  # a deep stack repeats a few layers: one copy of each distinct value is kept
            shared = self.shared
            kept = shared.nonzero(counts)
            info, shape = shared.mapping(info), shared.shape(shape)
        if kept is None:  # zero counts are left out (a traced or symbolic value is tested by
            #               _is_zero, which the tracer records)
            kept = {k: v for k, v in counts.items() if (v if type(v) is int else not _is_zero(v))}
        self.nodes.append(Node(name, kind, (inputs[0].node,) if len(inputs) == 1 else
                               tuple([t.node for t in inputs]), shape, kept, info,
                               line, self.group or name, scope.name if scope else None,
                               role or self._role))
        return Tensor(len(self.nodes) - 1, shape)

    def shape_problem(self, name: str, kind: str, inputs: tuple[Tensor, ...],
                      shape: Shape) -> None:
        """Raise the error for an output side below 1 or over the limit."""
        for dim, label in ((shape.c, "channels"), (shape.h, "height"), (shape.w, "width")):
            if dim < 1:
                raise SpecError(f"{kind} {name!r}: output {label} would be {dim} "
                                f"(input {inputs[0].shape.text()})")
            if dim > MAX_CHANNELS:
                raise SpecError(f"{kind} {name!r}: output {label} {dim} beyond the limit "
                                f"{MAX_CHANNELS}")

    def duplicate_name(self, name: str) -> SpecError:
        """The error for a second node called ``name``."""
        first = self.lines[name]
        where = f" (first at line {first})" if first else ""
        return SpecError(f"layer name {name!r} is used twice{where}; layer names must be unique")

    def call(self, kind_name: str, x: Tensor, name: str, *, role: str | None = None,
             **values: Any) -> Tensor:
        """Add kind ``kind_name`` on input ``x`` with field ``values`` (defaults filled in)."""
        kind = kind_named(kind_name)
        full = {}
        for fld in kind.fields:
            if fld.name in values:
                full[fld.name] = values[fld.name]
            elif fld.required:
                raise TypeError(f"{kind_name} needs {fld.name}")
            else:
                full[fld.name] = fld.default
        with self.role(role or self._role):
            return kind.build(self, full, x, name)

    def graph(self, name: str, input_shape: Shape) -> Graph:
        """The finished graph."""
        return Graph(name, input_shape, self.nodes, self.symbolic, self.blocks)


class _Scope:
    """Sets the builder's scope and pending role for a ``with`` body, then restores them (a
    plain class: these run once per entry, where a generator-based context manager costs more)."""

    __slots__ = ("builder", "scope", "role", "saved")

    def __init__(self, builder: GraphBuilder, scope: Block | None, role: str | None):
        self.builder, self.scope, self.role = builder, scope, role

    def __enter__(self) -> Block | None:
        b = self.builder
        self.saved = b._scope, b._role
        b._scope, b._role = self.scope, self.role
        return self.scope

    def __exit__(self, *_: Any) -> None:
        self.builder._scope, self.builder._role = self.saved


def _is_zero(value: Any) -> bool:
    return numbers.is_exact(value) and value == 0
