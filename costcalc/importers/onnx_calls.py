"""What an ONNX file tells about the PyTorch calls behind its ops: whether a Resize or a pool ran
as a module (``nn.Upsample``, ``nn.MaxPool2d``, ...) or a function (``F.interpolate``,
``F.max_pool2d``, ...), and which layers reuse one module's weights.

Hook-based counters (ptflops, thop) charge a module and a function call differently, and ONNX
writes the same op for both; ``torch.nn.Module.parameters()`` counts a tied parameter once, while
exporters also merge equal-valued tensors of different parameters. Both exporters leave marks:

- the dynamo exporter writes each node's module classes (``pkg.torch.onnx.class_hierarchy``,
  innermost module before the aten op) and module names (``pkg.torch.onnx.name_scopes``);
- the TorchScript exporter names each node after the module whose ``forward`` ran it
  (``/up/Resize``: the module ``up``; ``/Resize``: the top model's own ``forward``), and writes
  an equal-valued copy of another parameter as an ``Identity`` of it, so a tensor several nodes
  read directly is one parameter (its producer is ``pytorch`` and no node has that metadata).

docs/onnx.md states the rules; this module only reads the marks.
"""
from __future__ import annotations

import re

from costcalc.graph import quantities as q

# ONNX op -> the torch modules that export as it (the functions that do are the other calls)
MODULES = {
    "Resize": frozenset(("torch.nn.modules.upsampling.Upsample",
                         "torch.nn.modules.upsampling.UpsamplingNearest2d",
                         "torch.nn.modules.upsampling.UpsamplingBilinear2d")),
    "MaxPool": frozenset(("torch.nn.modules.pooling.MaxPool2d",)),
    "AveragePool": frozenset(("torch.nn.modules.pooling.AvgPool2d",
                              "torch.nn.modules.pooling.AdaptiveAvgPool2d")),
    "GlobalAveragePool": frozenset(("torch.nn.modules.pooling.AdaptiveAvgPool2d",)),
    # the dynamo exporter writes nn.AdaptiveAvgPool2d(1) as a ReduceMean (aten.mean.dim)
    "ReduceMean": frozenset(("torch.nn.modules.pooling.AdaptiveAvgPool2d",)),
}
HIERARCHY = "pkg.torch.onnx.class_hierarchy"
SCOPES = "pkg.torch.onnx.name_scopes"
SHAPE_READERS = ("Shape", "Size")  # read an activation, compute only on its shape
RESIZE_AS = ("auto", "module", "function")
TIED = ("auto", "all", "module", "none")
FLOATS = (1, 10, 11, 16)  # TensorProto FLOAT, FLOAT16, DOUBLE, BFLOAT16
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def metadata(node) -> dict[str, str]:
    """A node's ``metadata_props`` (ONNX 1.16 and later) as a dict."""
    return {p.key: p.value for p in getattr(node, "metadata_props", ())}


def _names(text: str) -> list[str]:
    """The quoted items of a metadata list written as ``['a', 'b']`` (read, never evaluated)."""
    return [a if a else b for a, b in _QUOTED.findall(text)]


def exporter(model) -> str:
    """``dynamo``, ``torchscript`` (torch's older exporter) or ``other``, from the file's
    marks."""
    if any(HIERARCHY in metadata(n) or SCOPES in metadata(n) for n in model.graph.node):
        return "dynamo"
    return "torchscript" if model.producer_name == "pytorch" else "other"


class Calls:
    """The module scopes of a graph's nodes and what they say about its Resize ops and its
    shared weight tensors."""

    def __init__(self, model):
        graph = model.graph
        self.kind = exporter(model)
        initializers = {t.name for t in graph.initializer}
        live = {i.name for i in graph.input if i.name not in initializers}
        # module scope -> compute nodes directly in it; scopes whose sub-scopes compute
        self.direct: dict[str, int] = {}
        self.parents: set[str] = set()
        for node in graph.node:
            if not any(n in live for n in node.input) or node.op_type in SHAPE_READERS:
                continue
            live.update(node.output)
            if not node.name.startswith("/"):
                continue
            scope = node.name.rsplit("/", 1)[0]
            self.direct[scope] = self.direct.get(scope, 0) + 1
            while scope:
                scope = scope.rsplit("/", 1)[0]
                self.parents.add(scope)

    def marked_module(self, node) -> bool | None:
        """Whether the dynamo exporter's class hierarchy puts the op in one of ``MODULES``'
        modules for its op type; None without a hierarchy."""
        hierarchy = metadata(node).get(HIERARCHY)
        if hierarchy is None:
            return None
        classes = _names(hierarchy)
        # the last item is the aten op; the one before it the innermost module
        return len(classes) >= 2 and classes[-2] in MODULES.get(node.op_type, ())

    def call(self, node) -> str | None:
        """``module`` or ``function`` for a Resize or pool (``MODULES``) the exporter marked,
        else None."""
        marked = self.marked_module(node)
        if marked is not None:
            return "module" if marked else "function"
        if self.kind != "torchscript" or not node.name.startswith("/"):
            return None
        scope = node.name.rsplit("/", 1)[0]
        # nn.Upsample and the pools are leaf modules whose forward is the op alone; anything else
        # in its scope (other ops, child modules) means a forward that called the function
        alone = scope and self.direct.get(scope, 0) == 1 and scope not in self.parents
        return "module" if alone else "function"

    def module(self, node) -> tuple[str, ...]:
        """The module path of the node: the dynamo exporter's name scopes without the op, or
        the TorchScript node name's scope."""
        scopes = metadata(node).get(SCOPES)
        if scopes is not None:
            return tuple(_names(scopes)[:-1])
        return tuple(node.name.split("/")[:-1]) if node.name.startswith("/") else ()

    def tied_rule(self, choice: str) -> str:
        """``all`` or ``module`` (or ``none``) for the ``tied`` choice; ``auto`` reads the
        exporter: TorchScript writes merged equal tensors as Identity copies, so every tensor
        several nodes read is one parameter; other files may merge equal tensors into one."""
        if choice != "auto":
            return choice
        return "all" if self.kind == "torchscript" else "module"


class Tying:
    """Layers that reuse an earlier layer's weights: the same kinds reading exactly the same
    weight tensors (initializers of rank >= 1 read directly, not through Identity copies), in
    the same module under the ``module`` rule or anywhere under ``all``. Their parameter counts
    are dropped and ``info["shares"]`` names the layer they reuse, as a spec's ``shares:``
    does."""

    def __init__(self, model, rule: str):
        self.rule = rule
        self.weights = {t.name for t in model.graph.initializer
                        if t.data_type in FLOATS and len(t.dims) >= 1}
        self.seen: dict[tuple, list[str]] = {}
        self.read: dict[tuple | None, set[str]] = {}
        self.tied: list[str] = []  # layers counted with no parameters of their own
        self.partial: list[str] = []  # layers reading some tensors of another, counted in full

    def apply(self, onnx_nodes, rows, module: tuple) -> None:
        """Mark ``rows`` (the layers built from ``onnx_nodes``) as reusing an earlier layer's
        weights when they read exactly its weight tensors."""
        if self.rule == "none":
            return
        params = q.param_keys()
        rows = [n for n in rows if any(k in params for k in n.counts)]
        weights = frozenset(name for n in onnx_nodes for name in n.input if name in self.weights)
        if not rows or not weights:
            return
        scope = module if self.rule == "module" else None
        key = (scope, tuple(n.kind for n in rows), weights)
        earlier = self.seen.get(key)
        read = self.read.setdefault(scope, set())
        if earlier is None:
            if weights & read:
                self.partial.append(rows[0].name)
            self.seen[key] = [n.name for n in rows]
            read.update(weights)
            return
        for node, first in zip(rows, earlier):
            # a node's info may be shared with identical layers: give it its own
            node.info = {**node.info, "shares": first,
                         "weights": tuple(sorted((k, v) for k, v in node.counts.items()
                                                 if k in params))}
            node.counts = {k: v for k, v in node.counts.items() if k not in params}
            self.tied.append(node.name)
