"""Structural checks of an ONNX file before anything is inferred or counted: what ONNX itself
forbids (undefined or twice-defined tensors, cycles) and what costcalc cannot count (subgraphs,
other op domains, opsets it does not know), each one located error instead of a wrong number.

A graph that reads a tensor nothing defines, or nodes in a cycle, would otherwise leave nodes
with no known input: they would be skipped as constants and the report would be short of them.
"""
from __future__ import annotations

from costcalc.errors import SpecError

ONNX_DOMAINS = ("", "ai.onnx")
SHOWN = 80  # characters of a name from the file shown in a message
# A node name's module path (``/features/features.3/conv/Conv``) becomes one report block per
# level, each named by the whole path so far: the work and memory grow with levels x length.
# Exporters write fewer than 15 levels and a few hundred characters.
MAX_MODULE_LEVELS = 32
MAX_NODE_NAME = 4096


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def shown(name: str) -> str:
    """A name from the file, quoted and cut to SHOWN characters (messages stay one short line)."""
    return repr(_cut(name))


def node_label(node) -> str:
    return f"{_cut(node.op_type)} node {shown(node.name) if node.name else '(unnamed)'}"


def check_model(onnx, model, path: str) -> None:
    """Raise a SpecError at the first structural problem of ``model`` (see the module doc)."""
    _check_opset(onnx, model, path)
    graph = model.graph
    defined: dict[str, str] = {}
    for value in graph.input:
        _define(defined, value.name, "a graph input", path)
    for tensor in graph.initializer:
        if tensor.name in defined and defined[tensor.name] == "a graph input":
            defined[tensor.name] = "an initializer"  # an input with a default value: allowed
            continue
        _define(defined, tensor.name, "an initializer", path)
    for sparse in graph.sparse_initializer:
        _define(defined, sparse.values.name, "an initializer", path)
    written_later = {out: node for node in graph.node for out in node.output if out}
    for node in graph.node:
        label = node_label(node)
        _check_name(node, label, path)
        if node.domain not in ONNX_DOMAINS:
            raise SpecError(f"{label} is in the op domain {shown(node.domain)}: only ops of the "
                            "ONNX domain have a layer kind and a shape rule", path)
        for attribute in node.attribute:
            if attribute.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) or \
                    attribute.g.node or attribute.graphs:
                raise SpecError(f"{label} holds a subgraph ({shown(attribute.name)}): control "
                                "flow (If, Loop, Scan) is not counted; costcalc reads flat "
                                "graphs", path)
        for name in node.input:
            if not name or name in defined:
                continue
            writer = written_later.get(name)
            if writer is not None:
                raise SpecError(f"{label} reads {shown(name)} before {node_label(writer)} "
                                "writes it (a cycle, or nodes out of topological order)", path)
            raise SpecError(f"{label} reads {shown(name)}, which no graph input, initializer "
                            "or node defines", path)
        for name in node.output:
            if name:
                _define(defined, name, label, path)
    for value in graph.output:
        if value.name not in defined:
            raise SpecError(f"graph output {shown(value.name)} is computed by no node", path)


def _check_name(node, label: str, path: str) -> None:
    name = node.name
    if len(name) > MAX_NODE_NAME:
        raise SpecError(f"{label}: a node name of {len(name)} characters, more than the limit "
                        f"{MAX_NODE_NAME} (costcalc.importers.onnx_checks.MAX_NODE_NAME)", path)
    levels = name.count("/") + name.count(".")  # at least the module path's levels
    if levels > MAX_MODULE_LEVELS:
        raise SpecError(f"{label}: a node name nesting {levels} module levels, more than the "
                        f"limit {MAX_MODULE_LEVELS} (costcalc.importers.onnx_checks."
                        "MAX_MODULE_LEVELS)", path)


def _define(defined: dict[str, str], name: str, by: str, path: str) -> None:
    if not name:
        raise SpecError(f"{by} has an empty name", path)
    if name in defined:
        raise SpecError(f"{shown(name)} is written by {by} and already by {defined[name]} "
                        "(ONNX names each tensor once)", path)
    defined[name] = by


def opset(model) -> int:
    """The opset of the ONNX domain that ``model`` imports (1 when it names none)."""
    return next((e.version for e in model.opset_import if e.domain in ONNX_DOMAINS), 1)


def _check_opset(onnx, model, path: str) -> None:
    versions = [e.version for e in model.opset_import if e.domain in ONNX_DOMAINS]
    if not versions:
        raise SpecError("the file imports no opset of the ONNX domain (opset_import is empty "
                        "or names only other domains)", path)
    newest = onnx.defs.onnx_opset_version()
    version = versions[0]
    if not 1 <= version <= newest:
        raise SpecError(f"opset {version}: the installed onnx package knows opsets 1 to "
                        f"{newest} (a newer opset may change what its ops mean; upgrade onnx "
                        "or export at a lower opset)", path)
