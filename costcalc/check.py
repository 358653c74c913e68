"""Every independent problem in a spec, each located (``costcalc validate``), not just the first.

The checks run in three passes, each reusing the engine's own checks and messages:

1. the document: top-level keys, each parameter, each ``let`` value, each block, block cycles;
2. every layer entry, statically (kinds, keys, required keys, literal values, expression
   syntax and names, and any expression that depends only on parameters, evaluated at the
   given parameter values), in the top-level layers and in every block body;
3. the build itself, for problems that depend on shapes (kernel larger than its input, groups,
   mismatched adds); its first error is reported unless an earlier problem may have caused it.

Anything broken in pass 1 (a bad parameter or block) is left out of the later passes, and names
that refer to it are not reported again.
"""
from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping

from costcalc import expr
from costcalc import spec as specs
from costcalc.errors import SpecError, split_hint
from costcalc.graph import Builder, Graph, Tensor, UserBlock
from costcalc.kinds import REQUIRED, Field, Kind, Shape
from costcalc.source import Mapping as YamlMapping
from costcalc.source import Pos, Sequence, load, position, read_text

SHAPE_NAMES = frozenset({"in_channels", "in_height", "in_width"})


@dataclass
class Result:
    """What a check found: the problems (sorted by place) and, when there are none, the graph."""

    path: str
    problems: list[SpecError] = field(default_factory=list)
    spec: specs.Spec | None = None
    values: dict | None = None
    graph: Graph | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def check_file(path: str, overrides: Mapping[str, Any] | None = None,
               convention: Any = None) -> Result:
    """Check the spec file at ``path`` (read errors are the one problem reported)."""
    try:
        text = read_text(path)
    except SpecError as exc:
        return Result(path, [exc])
    return check(text, path, overrides, convention)


def check_text(text: str, path: str, overrides: Mapping[str, Any] | None = None) -> list[SpecError]:
    """The problems in spec ``text`` (an empty list when it builds)."""
    return check(text, path, overrides).problems


def check(text: str, path: str, overrides: Mapping[str, Any] | None = None,
          convention: Any = None) -> Result:
    """Every independent problem in spec ``text`` at parameter ``overrides``.

    Overrides are read as ``costcalc.analyze`` reads them (``res``, ``width`` shortcuts; the
    class count of ``convention``). A bad override (unknown parameter, value out of range) is a
    usage error, raised as such.
    """
    result = Result(path)
    duplicates: list[SpecError] = []
    try:
        doc = load(text, path, duplicates)
    except SpecError as exc:
        result.problems = sorted(duplicates + [exc], key=_place)
        return result
    if not isinstance(doc, YamlMapping):
        result.problems.append(SpecError("a spec must be a YAML mapping with 'layers'", path, 1, 1))
        return result
    checker = _Checker(path, doc, convention)
    for problem in duplicates:  # the rest is checked with the first of each duplicate key
        checker.add(problem)
    checker.run(overrides)
    result.problems = checker.sorted_problems()
    if not result.problems:
        result.spec, result.values, result.graph = checker.spec, checker.values, checker.graph
    return result


class _Checker:
    def __init__(self, path: str, doc: YamlMapping, convention: Any = None):
        self.path = path
        self.convention = convention
        self.doc = doc
        self.problems: list[SpecError] = []
        self.poisoned: set[str] = set()  # names whose definition is broken (already reported)
        self.spec: specs.Spec | None = None
        self.values: dict | None = None
        self.graph: Graph | None = None

    # ------------------------------------------------------------------ helpers
    def err(self, message: str, pos: Pos | None) -> SpecError:
        return SpecError(message, self.path, pos.line if pos else None, pos.column if pos else None)

    def add(self, problem: SpecError) -> None:
        """Record ``problem`` unless it is already reported at that place (the same message,
        or the same problem with other hints)."""
        problem.located(self.path)
        key = (problem.line, problem.column, _gist(problem.message))
        if all((p.line, p.column, _gist(p.message)) != key for p in self.problems):
            self.problems.append(problem)

    def sorted_problems(self) -> list[SpecError]:
        return sorted(self.problems, key=_place)

    def attempt(self, function, *args) -> Any:
        """Run ``function``; a SpecError is recorded and None returned."""
        try:
            return function(*args)
        except SpecError as exc:
            self.add(exc)
            return None

    # ------------------------------------------------------------------ pass 1: the document
    def run(self, overrides: Mapping[str, Any] | None) -> None:
        doc = self.doc
        for key in doc:
            if key not in specs.TOP_KEYS:
                close = difflib.get_close_matches(key, specs.TOP_KEYS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(self.err(f"unknown top-level key {key!r}{hint}; valid keys: "
                                  f"{', '.join(specs.TOP_KEYS)}", doc.key_pos[key]))
        for key in ("input", "layers"):
            if key not in doc:
                self.add(self.err(f"missing required key {key!r}", doc.pos))
        layers = doc.get("layers")
        if "layers" in doc and not isinstance(layers, Sequence):
            self.add(self.err("'layers' must be a list of layers", doc.value_pos["layers"]))
            layers = None
        for key in ("name", "description", "source"):
            if key in doc and not isinstance(doc[key], str):
                self.add(self.err(f"{key!r} must be text", doc.value_pos[key]))
        parameters = self.parameters(doc.get("parameters"), doc.value_pos.get("parameters"))
        blocks = self.blocks(doc.get("blocks"), doc.value_pos.get("blocks"))
        name = doc.get("name") if isinstance(doc.get("name"), str) and doc.get("name") else \
            self.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        spec = specs.Spec(self.path, name, "", "", parameters, None, doc.get("input"), blocks,
                          layers if layers is not None else Sequence(), doc)
        spec.layers.pos = getattr(spec.layers, "pos", doc.pos)
        from costcalc import api, conventions

        # read as the report reads them; a bad override is a usage error: raised, not listed
        values = api.resolve(spec, dict(overrides or {}),
                             self.convention or conventions.get("paper"))
        env = self.let(doc.get("let"), doc.value_pos.get("let"), parameters, values)
        spec.let = self.good_let
        before = len(self.problems)
        self.attempt(specs._check_block_cycles, spec, self.err)
        cyclic = len(self.problems) > before
        builder = Builder(self.path, blocks)
        builder._base_env = env
        shape = None
        if "input" in doc:
            shape = self.attempt(spec.input_shape, builder, dict(env))
        static_count = len(self.problems)
        # pass 2: every entry, statically
        if layers is not None:
            self.entries(layers, env, frozenset(env), blocks, top=True)
        for block in blocks.values():
            scope = frozenset(env) | frozenset(block.parameters)
            known = {k: v for k, v in env.items() if k not in block.parameters}
            self.entries(block.layers, known, scope, blocks, top=False)
        # pass 3: the build, for shape problems
        if cyclic or shape is None or layers is None or "layers" not in doc:
            return
        try:
            graph = builder.build(spec.name, spec.layers, shape, env, spec.layers.pos)
        except SpecError as exc:
            exc.located(self.path)
            if not self.caused_by_earlier(exc):
                self.add(exc)
            return
        except RecursionError:
            self.add(self.err("layers nested too deeply", doc.value_pos.get("layers")))
            return
        if len(self.problems) == 0 and static_count == 0:
            self.spec, self.values, self.graph = spec, values, graph

    def caused_by_earlier(self, exc: SpecError) -> bool:
        """True when a build error follows from a problem already reported."""
        if any(p.line == exc.line for p in self.problems):
            return True
        words = exc.message.replace("(", " ").split()
        named = {w.strip("'\",;") for w in words[:4]}
        return bool(named & self.poisoned) and exc.message.startswith(("unknown name",
                                                                        "unknown layer kind"))

    def parameters(self, raw: Any, pos: Pos | None) -> dict[str, specs.Parameter]:
        if raw is None:
            return {}
        if not isinstance(raw, YamlMapping):
            self.attempt(specs._parameters, raw, pos, self.err)
            return {}
        good: dict[str, specs.Parameter] = {}
        for name in raw:
            parsed = self.attempt(specs._parameters, _only(raw, name), pos, self.err)
            if parsed:
                good.update(parsed)
            else:
                self.poisoned.add(name)
        return good

    def let(self, raw: Any, pos: Pos | None, parameters: Mapping, values: dict) -> dict:
        self.good_let = None
        env = dict(values)
        if raw is None:
            return env
        if not isinstance(raw, YamlMapping):
            self.add(self.err("'let' must be a mapping of name: expression", pos))
            return env
        good = YamlMapping()
        good.pos, good.key_pos, good.value_pos = raw.pos, {}, {}
        for key, value in raw.items():
            try:
                specs._check_name(key, self.err, raw.key_pos[key])
                declared = self.doc.get("parameters")
                if key in parameters or isinstance(declared, dict) and key in declared:
                    raise self.err(f"'let' redefines parameter {key!r}", raw.key_pos[key])
                specs.check_let_value(key, value, self.err, raw.value_pos[key])
                if isinstance(value, str):
                    compiled = self.compile(value, raw.value_pos[key])
                    if compiled is None:
                        raise _Skip
                    if compiled.names & self.poisoned:
                        raise _Skip
                    # a let sees the parameters and earlier lets, not shapes or ``i``
                    if not self.unknown_names(compiled, frozenset(env), raw.value_pos[key],
                                              layer=False):
                        raise _Skip  # reported: evaluating it would report it again
                    env[key] = self.evaluate(compiled, env, raw.value_pos[key])
                else:
                    env[key] = value
            except SpecError as exc:
                self.add(exc)
                self.poisoned.add(key)
                continue
            except _Skip:
                self.poisoned.add(key)
                continue
            good[key] = value
            good.key_pos[key], good.value_pos[key] = raw.key_pos[key], raw.value_pos[key]
        self.good_let = good
        return env

    def blocks(self, raw: Any, pos: Pos | None) -> dict[str, UserBlock]:
        if raw is None:
            return {}
        if not isinstance(raw, YamlMapping):
            self.attempt(specs._blocks, raw, pos, self.err)
            return {}
        good: dict[str, UserBlock] = {}
        for name in raw:
            parsed = self.attempt(specs._blocks, _only(raw, name), pos, self.err)
            if parsed:
                good.update(parsed)
            else:
                self.poisoned.add(name)
        return good

    # ------------------------------------------------------------------ pass 2: entries
    def entries(self, entries: Any, env: dict, scope: frozenset, blocks: dict, top: bool) -> None:
        if not isinstance(entries, list):
            return
        for index, entry in enumerate(entries):
            pos = position(entries, index)
            self.entry(entry, env, scope, blocks, pos, top)

    def entry(self, entry: Any, env: dict, scope: frozenset, blocks: dict, pos: Pos | None,
              top: bool) -> None:
        builder = Builder(self.path, blocks)
        builder.pos = pos
        if isinstance(entry, dict) and isinstance(entry.get("kind"), str) \
                and entry["kind"] in self.poisoned:
            return  # a broken block, reported where it is defined
        try:
            block, kind = builder.resolve_kind(entry, pos)
        except SpecError as exc:
            self.add(exc)
            return
        for problem in builder.unknown_keys(entry, block, kind, pos):
            self.add(problem)
        scope = scope | {"i"}
        env = dict(env, i=0)
        if "repeat" in entry:
            self.value(builder, entry, Field("repeat", "count", minimum=0,
                                             maximum=_max_repeat()), env, scope)
        base = entry.get("name")
        if base is not None and (not isinstance(base, str) or not base or "." in base):
            self.add(self.err("'name' must be a non-empty name without dots",
                              entry.value_pos.get("name", pos)))
        if block is not None:
            for param, default in block.parameters.items():
                if param not in entry and default is REQUIRED:
                    self.add(self.err(f"block {block.name!r} needs {param!r}", pos))
            for param in block.parameters:
                if param in entry:
                    self.expression_only(entry, param, scope)
            return
        self.fields(builder, kind, entry, env, scope, blocks, pos, top)

    def fields(self, builder: Builder, kind: Kind, entry: Mapping, env: dict, scope: frozenset,
               blocks: dict, pos: Pos | None, top: bool) -> None:
        for fld in kind.fields:
            if fld.name not in entry:
                if fld.required:
                    self.add(self.err(f"{kind.name}: missing required key {fld.name!r}",
                                      getattr(entry, "pos", pos)))
                continue
            raw = entry[fld.name]
            vpos = entry.value_pos.get(fld.name, pos)
            if fld.type == "layers" or (fld.type == "shortcut" and isinstance(raw, list)):
                if not isinstance(raw, list):
                    self.add(self.err(f"{fld.name!r} must be a list of layers", vpos))
                else:
                    self.entries(raw, env, scope, blocks, top)
                continue
            if fld.type == "branches":
                if not isinstance(raw, list) or not raw:
                    self.add(self.err("'branches' must be a non-empty list of layer lists", vpos))
                    continue
                for branch in raw:
                    if branch is not None and not isinstance(branch, list):
                        self.add(self.err("'branches' must be a non-empty list of layer lists",
                                          vpos))
                        break
                    self.entries(branch or [], env, scope, blocks, top)
                continue
            self.value(builder, entry, fld, env, scope)

    def value(self, builder: Builder, entry: Mapping, fld: Field, env: dict,
              scope: frozenset) -> None:
        """Check one field: literals with the builder's rules, expressions when computable."""
        raw = entry[fld.name]
        vpos = entry.value_pos.get(fld.name, builder.pos)
        if isinstance(raw, str):
            if fld.type in ("choice", "shortcut") and raw in fld.choices:
                return
            if fld.type == "padding" and raw in ("same", "valid"):
                return
            choice = fld.type in ("choice", "padding") and raw.isidentifier() and raw not in scope
            compiled = None if choice else self.compile(raw, vpos)
            if choice:
                pass  # a misspelt choice: the builder's check below names the valid ones
            elif compiled is None or compiled.names & self.poisoned:
                return
            elif not self.unknown_names(compiled, scope, vpos):
                return
            elif compiled.names - set(env) or compiled.names & SHAPE_NAMES:
                return  # depends on shapes or block parameters: the build checks it
        else:
            if fld.type in ("choice", "shortcut") and raw in fld.choices:
                return
        dummy = Tensor(-1, Shape(1, 1, 1))
        try:
            builder.typed(fld, entry, env, dummy)
        except SpecError as exc:
            self.add(exc)

    def expression_only(self, entry: Mapping, key: str, scope: frozenset) -> None:
        raw = entry[key]
        if isinstance(raw, str):
            vpos = entry.value_pos.get(key)
            compiled = self.compile(raw, vpos)
            if compiled is not None and not compiled.names & self.poisoned:
                self.unknown_names(compiled, scope, vpos)

    # ------------------------------------------------------------------ expressions
    def compile(self, text: str, pos: Pos | None) -> expr.Expression | None:
        try:
            return expr.compile_expression(text)
        except expr.ExprError as exc:
            self.add(self._expr_error(exc, pos))
            return None

    def evaluate(self, compiled: expr.Expression, env: dict, pos: Pos | None) -> Any:
        try:
            return compiled.evaluate(env)
        except expr.ExprError as exc:
            raise self._expr_error(exc, pos) from None

    def unknown_names(self, compiled: expr.Expression, scope: frozenset, pos: Pos | None,
                      layer: bool = True) -> bool:
        """Report the first name not in ``scope`` (plus the shape names and ``i`` inside a
        layer entry); True when every name is known."""
        scope = scope | SHAPE_NAMES | {"i"} if layer else scope
        missing = compiled.names - scope
        if not missing:
            return True
        for node in ast.walk(compiled.tree):
            if isinstance(node, ast.Name) and node.id in missing:
                close = difflib.get_close_matches(node.id, sorted(scope), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(sorted(scope))
                self.add(self._expr_error(expr.ExprError(
                    f"unknown name {node.id!r}{hint}; known names: {known}", node.col_offset),
                    pos))
                break
        return False

    def _expr_error(self, exc: expr.ExprError, pos: Pos | None) -> SpecError:
        if pos is None:
            return SpecError(exc.message, self.path)
        line, column = pos.at(exc.column)
        return SpecError(exc.message, self.path, line, column)


def _place(problem: SpecError) -> tuple[int, int]:
    return problem.line or 0, problem.column or 0


def _gist(message: str) -> str:
    """What a message says, without its hints (``did you mean``, lists of valid names)."""
    return split_hint(message)[0]


class _Skip(Exception):
    """A value that cannot be checked because something it uses is already reported."""


def _only(mapping: YamlMapping, key: str) -> YamlMapping:
    """A one-item copy of ``mapping`` (with its positions), to check items one at a time."""
    single = YamlMapping()
    single[key] = mapping[key]
    single.pos = mapping.pos
    single.key_pos = {key: mapping.key_pos[key]}
    single.value_pos = {key: mapping.value_pos[key]}
    return single


def _max_repeat() -> int:
    from costcalc.graph import MAX_REPEAT

    return MAX_REPEAT
