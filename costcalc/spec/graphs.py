"""Named tensors of a spec (``from:``, ``size_of:``, taps, outputs), pruning and backbones.

A spec is a chain unless it says otherwise: an entry reads the previous entry's output. Every
node name (``b13.expand``), entry name (``b13``, the output of the whole entry) and tap name
(``c4``) names a tensor; ``from: NAME`` reads it instead. Inside a block or body, a name is
looked up in the enclosing scopes first (``from: expand`` inside ``b13`` is ``b13.expand``).
The model's outputs are the top-level ``outputs`` (default: the last entry's output); nodes no
output reaches are pruned from the graph with a note. A head spec's ``backbone`` is built
from its own spec at the settings given, its node names prefixed with ``backbone.``.
"""
from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Iterable

from costcalc.errors import SpecError, UsageError, close_matches
from costcalc.graph.core import Block, Graph, Node, Tensor
from costcalc.graph.registry import Shape
from costcalc.records import Record
from costcalc.spec.source import Mapping as YamlMapping
from costcalc.spec.source import Pos, position

BACKBONE = "backbone"  # prefix of a backbone's node names in the head's graph
GRAPH_KEYS = ("outputs", "taps", "backbone", "notes")
BACKBONE_KEYS = ("model", "set")
MAX_BACKBONE_NESTING = 8  # backbones of backbones; a spec naming itself would never end
# internal kinds usable as entries with a from list (scale: x times a C x 1 x 1 gate)
MERGE_KINDS = ("add", "concat", "multiply", "matmul", "scale")
SHOWN_PRUNED = 8  # pruned layers named in the report's note


class Ambiguous(tuple):
    """The candidates a name could mean (a repeated entry's base name, a tap named like a
    layer)."""


class Names:
    """Named tensors: the builder's node names (``index``: name -> position in ``nodes``) and
    the entry and tap names in ``table`` (name -> Tensor or Ambiguous)."""

    __slots__ = ("table", "index", "nodes")

    def __init__(self, index: dict[str, int], nodes: list) -> None:
        self.table: dict[str, Any] = {}
        self.index, self.nodes = index, nodes

    def lookup(self, name: str) -> Any:
        """What ``name`` means, in the whole model (None when nothing)."""
        found = self.table.get(name)
        if found is None:
            position = self.index.get(name)
            if position is not None:
                return Tensor(position, self.nodes[position].shape)
        return found

    def means(self, name: str, tensor: Tensor) -> bool:
        """Whether ``name`` (from the top scope) means ``tensor`` already: ``get(name) ==
        tensor`` without making the Tensor of a node name."""
        if type(tensor) is not Tensor or name in self.table:
            return self.lookup(name) == tensor
        position = self.index.get(name)
        return position is not None and position == tensor.node and \
            self.nodes[position].shape == tensor.shape

    def known(self) -> list[str]:
        return [*self.index, *self.table]

    def add(self, name: str, tensor: Tensor, meaning: str | None = None) -> None:
        old = self.lookup(name)
        if old is None or old == tensor:
            self.table[name] = tensor
        elif isinstance(old, Ambiguous):
            self.table[name] = Ambiguous((*old, meaning or name))
        else:
            self.table[name] = Ambiguous((name, meaning or name))

    def ambiguous(self, name: str, candidates: Iterable[str]) -> None:
        self.table[name] = Ambiguous(candidates)

    def key(self, name: str, prefix: str = "") -> str:
        """The full name ``name`` means from scope ``prefix`` (it must name something)."""
        while prefix:
            if self.lookup(f"{prefix}.{name}") is not None:
                return f"{prefix}.{name}"
            prefix = prefix.rpartition(".")[0]
        return name

    def get(self, name: str, prefix: str = "") -> Any:
        """The tensor ``name`` means from scope ``prefix`` (innermost scope first), or None."""
        while prefix:
            found = self.lookup(f"{prefix}.{name}")
            if found is not None:
                return found
            prefix = prefix.rpartition(".")[0]
        return self.lookup(name)


def unknown_name(name: str, key: str, names: Names, later: Iterable[str]) -> str:
    """The message for a ``from``/``size_of``/``outputs``/``taps`` name that names nothing yet."""
    for pattern in later:
        if matches(pattern, name):
            return (f"{key}: {name!r} is not defined before this layer; a layer reads only "
                    "tensors made before it (the model is built in order)")
    close = close_matches(name, names.known(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"{key}: unknown tensor name {name!r}{hint}; names are layer names (dotted inside "
            "blocks, e.g. b13.expand), entry names, taps and 'input'")


def matches(pattern: str, name: str) -> bool:
    """Whether ``name`` (or the entry it is a layer of) is one ``pattern`` defines."""
    return bool(re.fullmatch(pattern, name) or re.fullmatch(pattern, name.partition(".")[0]))


def ambiguous_name(name: str, key: str, found: Ambiguous) -> str:
    shown = ", ".join(repr(c) for c in found[:6]) + (", ..." if len(found) > 6 else "")
    return f"{key}: {name!r} is ambiguous: it names {shown}; give the full name"


def literal_names(layers: Any, blocks: dict) -> list[str]:
    """Patterns (regular expressions) of the entry names a list of entries defines, nested
    bodies and user blocks included; ``b#`` matches ``b0``, ``b1``..."""
    found: list[str] = []
    seen: set[int] = set()

    def scan(entries: Any) -> None:
        if not isinstance(entries, list) or id(entries) in seen:
            return
        seen.add(id(entries))
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            base = entry.get("name")
            if isinstance(base, str) and base:
                pattern = re.escape(base).replace("\\#", "#").replace("#", r"\d+")
                found.append(pattern + r"(\.\d+)?")
            for key in ("body", "shortcut"):
                scan(entry.get(key))
            for branch in entry.get("branches") or [] if isinstance(entry.get("branches"),
                                                                     list) else []:
                scan(branch)
            kind = entry.get("kind")
            if isinstance(kind, str) and kind in blocks:
                scan(blocks[kind].layers)

    scan(layers)
    return found


def source_names(raw: Any, key: str, merge: bool) -> list[tuple[str, int]]:
    """``from``'s names (with their index for positions): one for a layer, two or more for a
    merge (add, concat, multiply, matmul, scale); ValueError with the message when malformed."""
    if merge:
        if not isinstance(raw, list) or len(raw) < 2 or \
                not all(isinstance(item, str) and item for item in raw):
            raise ValueError(f"'{key}' of a merge must be a list of two or more tensor names")
        return [(item, index) for index, item in enumerate(raw)]
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"'{key}' must be one tensor name (a list only for add, concat, "
                         "multiply, matmul and scale)")
    return [(raw, -1)]


def item_pos(raw: Any, index: int, default: Pos | None) -> Pos | None:
    return (position(raw, index) if index >= 0 else None) or default


# ---------------------------------------------------------------------------- document checks
def check_keys(doc: YamlMapping, err) -> list[SpecError]:
    """Form of ``outputs``, ``taps`` and ``backbone`` (their names are resolved by the build)."""
    problems = []
    if "outputs" in doc:
        raw = doc["outputs"]
        if not isinstance(raw, list) or not raw or \
                not all(isinstance(item, str) and item for item in raw):
            problems.append(err("'outputs' must be a non-empty list of tensor names",
                                doc.value_pos["outputs"]))
        else:
            for index, item in enumerate(raw):
                if item in raw[:index]:
                    problems.append(err(f"'outputs' names {item!r} twice",
                                        item_pos(raw, index, doc.value_pos["outputs"])))
    if "taps" in doc:
        raw = doc["taps"]
        if not isinstance(raw, YamlMapping) or not raw:
            problems.append(err("'taps' must be a mapping of tap name: tensor name",
                                doc.value_pos["taps"]))
        else:
            for tap, target in raw.items():
                if not isinstance(tap, str) or not tap.isidentifier():
                    problems.append(err(f"tap name {tap!r} must be a name (letters, digits, _)",
                                        raw.key_pos[tap]))
                elif not isinstance(target, str) or not target:
                    problems.append(err(f"tap {tap!r} must name a tensor (a layer name such as "
                                        "b13.expand)", raw.value_pos[tap]))
    if "backbone" in doc:
        problems += _check_backbone(doc, err)
    if "notes" in doc:
        raw = doc["notes"]
        if not isinstance(raw, list) or not all(isinstance(n, str) and n for n in raw):
            problems.append(err("'notes' must be a list of texts", doc.value_pos["notes"]))
    return problems


def _check_backbone(doc: YamlMapping, err) -> list[SpecError]:
    raw, pos = doc["backbone"], doc.value_pos["backbone"]
    if not isinstance(raw, YamlMapping) or not isinstance(raw.get("model"), str) or \
            not raw["model"]:
        return [err("'backbone' must be a mapping with 'model' (a zoo name or spec path) and "
                    "optionally 'set' (parameter: value)", pos)]
    problems = []
    for key in raw:
        if key not in BACKBONE_KEYS:
            close = close_matches(key, BACKBONE_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(err(f"backbone: unknown key {key!r}{hint}; valid keys: model, set",
                                raw.key_pos[key]))
    if "set" in raw and not isinstance(raw["set"], YamlMapping):
        problems.append(err("backbone: 'set' must be a mapping of parameter: value",
                            raw.value_pos["set"]))
    elif "set" in raw:
        for name, value in raw["set"].items():
            if not _scalar(value):
                problems.append(err(f"backbone: set {name!r} must be a number, true/false, a "
                                    "name or an expression, not a list or mapping",
                                    raw["set"].value_pos[name]))
    if "input" in doc:
        problems.append(err("a spec with a 'backbone' takes its input from the backbone; "
                            "remove 'input'", doc.key_pos["input"]))
    return problems


class GraphKeys(Record):
    """A spec's ``outputs``, ``taps`` and ``backbone`` as written (checked by ``check_keys``)."""

    _FIELDS = ("outputs", "outputs_pos", "taps", "backbone", "notes")

    def __init__(self, outputs: list | None = None, outputs_pos: Pos | None = None,
                 taps: YamlMapping | None = None, backbone: Backbone | None = None,
                 notes: tuple[str, ...] = ()):
        self.outputs, self.outputs_pos, self.taps = outputs, outputs_pos, taps
        self.backbone, self.notes = backbone, notes

    @classmethod
    def read(cls, doc: YamlMapping, path: str) -> "GraphKeys | None":
        if not any(key in doc for key in GRAPH_KEYS):
            return None
        # malformed keys are left out here; check_keys reports them (validate goes on building)
        outputs = doc.get("outputs")
        if not isinstance(outputs, list) or not all(isinstance(o, str) and o for o in outputs):
            outputs = None
        taps = doc.get("taps")
        if not isinstance(taps, YamlMapping) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in taps.items()):
            taps = None
        notes = doc.get("notes")
        notes = tuple(notes) if isinstance(notes, list) and \
            all(isinstance(n, str) for n in notes) else ()
        return cls(outputs, doc.value_pos.get("outputs"), taps, Backbone.read(doc, path), notes)


def _scalar(value: Any) -> bool:
    """A value a backbone parameter can be set to: not a list or a mapping."""
    return not isinstance(value, (list, dict))


# ---------------------------------------------------------------------------- backbones
class Backbone(Record):
    """A head spec's ``backbone: {model, set}``."""

    _FIELDS = ("model", "settings", "pos", "model_pos", "head_path")

    def __init__(self, model: str, settings: YamlMapping | None, pos: Pos | None,
                 model_pos: Pos | None, head_path: str):
        self.model, self.settings, self.pos = model, settings, pos
        self.model_pos, self.head_path = model_pos, head_path

    @classmethod
    def read(cls, doc: YamlMapping, path: str) -> "Backbone | None":
        raw = doc.get("backbone")
        if not isinstance(raw, YamlMapping) or not isinstance(raw.get("model"), str) or \
                not raw["model"]:
            return None  # check_keys reports the malformed mapping
        settings = raw.get("set")
        if not isinstance(settings, YamlMapping) or not all(map(_scalar, settings.values())):
            settings = None  # check_keys reports it
        return cls(raw["model"], settings, doc.value_pos.get("backbone"),
                   raw.value_pos.get("model"), path)

    def error(self, message: str, pos: Pos | None = None) -> SpecError:
        pos = pos or self.pos
        return SpecError(message, self.head_path, *(pos.at(0) if pos else (None, None)))

    def spec(self, load: Any) -> Any:
        """The backbone's parsed spec (``load(path)``): a zoo name, or a spec path (relative to
        the head's file when it is there)."""
        import os

        from costcalc import zoo

        model = self.model
        if zoo.canonical(model) is None and not os.path.isabs(model):
            beside = os.path.join(os.path.dirname(self.head_path), model)
            if os.path.exists(beside):
                model = beside
        try:
            path = zoo.locate(model)
            if not os.path.isfile(path):
                raise UsageError(f"no spec file {model!r}")
            return load(path)
        except UsageError as exc:
            raise self.error(f"backbone: {exc}", self.model_pos) from None

    def values(self, spec: Any, walker: Any, env: dict, only: tuple[str, ...] | None = None
               ) -> dict:
        """The backbone's parameter values: its defaults with ``set`` applied (each value an
        expression in the head's parameters); with ``only``, just those settings."""
        from costcalc import numbers

        values = {name: p.default for name, p in spec.parameters.items()}
        dummy = Tensor(-1, Shape(0, 0, 0))
        for name, raw in (self.settings or {}).items():
            if only is not None and name not in only:
                continue
            key_pos = self.settings.key_pos.get(name)
            if raw is None:
                raise self.error(f"backbone: parameter {name!r} set to nothing (null); leave it "
                                 "out to keep the backbone's default",
                                 self.settings.value_pos.get(name, key_pos))
            if name not in spec.parameters:
                close = close_matches(name, list(spec.parameters), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(f"backbone: {spec.name} has no parameter {name!r}{hint}; "
                                 f"valid parameters: {', '.join(spec.parameters) or 'none'}",
                                 key_pos)
            value = walker.value(self.settings, name, env, dummy) if isinstance(raw, str) and \
                spec.parameters[name].type != "text" else raw
            if isinstance(value, str) and spec.parameters[name].type != "text":
                try:
                    value = spec.parameters[name].parse(value)
                except UsageError as exc:  # located at the head's setting
                    raise self.error(f"backbone: {exc}",
                                     self.settings.value_pos.get(name, key_pos)) from None
            param = spec.parameters[name]
            if isinstance(value, (bool, str)) or numbers.is_exact(value):
                problem = param.check(numbers.normalize(value) if numbers.is_exact(value)
                                      else value)
                if problem:
                    raise self.error(f"backbone: {problem}",
                                     self.settings.value_pos.get(name, key_pos))
                value = numbers.normalize(value) if numbers.is_exact(value) else value
            values[name] = value
        return values


_NESTING = [0]


def building_backbone() -> bool:
    """True while a backbone is being built (its entry names are kept for the head)."""
    return _NESTING[0] > 0


def build_backbone(backbone: Backbone, walker: Any, env: dict, shape_only: bool = False,
                   input_shape: Any = None) -> Any:
    """The backbone's graph at the head's settings (symbolic when the head is) on
    ``input_shape`` (the head's input, which a sweep may trace), or with ``shape_only`` its
    input shape."""
    if _NESTING[0] >= MAX_BACKBONE_NESTING:
        raise backbone.error(f"backbones nested deeper than {MAX_BACKBONE_NESTING} levels "
                             "(does a spec name itself as its backbone?)", backbone.model_pos)
    _NESTING[0] += 1
    try:
        spec = backbone.spec(walker.load_spec)

        def build(only: tuple[str, ...] | None = None) -> Any:
            inner = spec.walker(walker.symbolic)
            benv = spec.environment(backbone.values(spec, walker, env, only))
            if shape_only:
                return spec.input_shape(inner, benv)
            shape = spec.input_shape(inner, benv) if input_shape is None else input_shape
            return inner.build(spec.name, spec.layers, shape, benv, spec.layers.pos)

        try:
            return build()
        except SpecError as exc:
            raise _blame(backbone, exc, build) from None
    finally:
        _NESTING[0] -= 1


def _blame(backbone: Backbone, exc: SpecError, build: Any) -> SpecError:
    """An error inside the backbone's file that a value the head set causes is the head's
    error, at that setting: found by building with each setting alone (only on this error
    path). When the backbone fails at its own defaults, or no single setting makes it fail,
    the error stays where it is."""
    settings = backbone.settings
    if not settings or exc.path == backbone.head_path:
        return exc
    try:
        build(())
    except SpecError:
        return exc  # the backbone's own file is at fault
    for name in settings:
        try:
            build((name,))
        except SpecError:
            pos = settings.value_pos.get(name) or settings.key_pos.get(name)
            where = f"{exc.path}:{exc.line}" + (f":{exc.column}" if exc.column else "") \
                if exc.line else str(exc.path)
            return backbone.error(f"backbone: the value of {name!r} set here fails in "
                                  f"{where}: {exc.message}", pos)
    return exc


def graft(walker: Any, graph: Graph, prefix: str = BACKBONE) -> None:
    """Append ``graph``'s nodes to ``walker`` under ``prefix.`` (the model input is shared) and
    name its tensors there: node names, entry names and taps (taps also unprefixed)."""
    offset = len(walker.nodes)
    if offset + len(graph.nodes) > walker.max_nodes:
        raise walker.error(f"the model has more than {walker.max_nodes} layers")
    for index, node in enumerate(graph.nodes):
        name = f"{prefix}.{node.name}"
        walker.nodes.append(Node(
            name, node.kind, tuple(j + offset if j >= 0 else -1 for j in node.inputs),
            node.shape, dict(node.counts), dict(node.info), node.line, f"{prefix}.{node.block}",
            f"{prefix}.{node.scope}" if node.scope else None, node.role))
        walker.lines[name] = node.line
        walker.index[name] = index + offset
    for block in graph.blocks.values():
        walker.blocks[f"{prefix}.{block.name}"] = Block(
            f"{prefix}.{block.name}", block.kind,
            f"{prefix}.{block.parent}" if block.parent else None, block.role)

    def tensor(index: int) -> Tensor:
        return Tensor(-1, graph.input) if index < 0 else \
            Tensor(index + offset, graph.nodes[index].shape)

    for name, index in graph.names.items():
        walker.names.add(f"{prefix}.{name}", tensor(index))
    for tap, index in graph.taps.items():
        walker.names.add(f"{prefix}.{tap}", tensor(index))
        walker.names.add(tap, tensor(index), f"tap {tap} of the {prefix}")
    walker.notes += [f"{prefix}: {note}" for note in graph.notes]


# ---------------------------------------------------------------------------- pruning
def prune(graph: Graph) -> Graph:
    """Drop the nodes no output reaches (a backbone's classifier under a head), with a note."""
    nodes = graph.nodes
    outputs = graph.output_indices()
    keep: set[int] = set()
    stack = [i for i in outputs if i >= 0]
    while stack:
        index = stack.pop()
        if index in keep:
            continue
        keep.add(index)
        stack.extend(j for j in nodes[index].inputs if j >= 0 and j not in keep)
    if len(keep) == len(nodes):
        return graph
    moved: dict[int, int] = {-1: -1}
    kept: list[Node] = []
    dropped: list[str] = []
    for index, node in enumerate(nodes):
        if index not in keep:
            dropped.append(node.name)
            continue
        moved[index] = len(kept)
        node.inputs = tuple(moved[j] for j in node.inputs)
        kept.append(node)
    shown = ", ".join(dropped[:SHOWN_PRUNED]) + (", ..." if len(dropped) > SHOWN_PRUNED else "")
    graph.notes.append(f"not counted: {len(dropped)} layer{'s' if len(dropped) != 1 else ''} "
                       f"no output reaches ({shown})")
    graph.nodes = kept
    graph.outputs = [moved[i] for i in outputs]
    graph.names = {n: moved[i] for n, i in graph.names.items() if i in moved}
    graph.taps = {n: moved[i] for n, i in graph.taps.items() if i in moved}
    scopes = {node.scope for node in kept}
    used = set()
    for scope in scopes:
        while scope is not None and scope not in used and scope in graph.blocks:
            used.add(scope)
            scope = graph.blocks[scope].parent
    graph.blocks = {name: block for name, block in graph.blocks.items() if name in used}
    return graph
