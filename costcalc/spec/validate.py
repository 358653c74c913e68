"""Every independent problem in a spec, each located (``costcalc validate``), not just the first.

The checks are the engine's own, written once and reporting to a ``Problems`` that collects
instead of raising. They run in three passes:

1. the document: ``spec.document.read``, the very checks ``parse`` makes (top-level keys, each
   parameter, each ``let`` name and value form, each block, block cycles), then each ``let``
   value evaluated at the given parameter values;
2. every layer entry, statically: the walker's ``entry_problems`` (kinds, keys, name, role,
   required keys), literal values by the walker's ``typed``, expression syntax and names, and
   any expression that depends only on parameters, evaluated at the given parameter values, in
   the top-level layers and in every block body;
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

from costcalc.spec import expr
from costcalc.spec import document as specs
from costcalc.errors import SpecError
from costcalc.graph.core import Graph, Tensor
from costcalc.spec.walker import MAX_REPEAT, SpecWalker
from costcalc.graph.registry import Field, Kind, Shape
from costcalc.spec.source import Mapping as YamlMapping
from costcalc.spec.problems import Problems
from costcalc.spec.source import Pos, Sequence, load, position, read_text

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
    problems = Problems(path, collect=True)
    duplicates: list[SpecError] = []
    try:
        doc = load(text, path, duplicates)
    except SpecError as exc:
        result.problems = sorted(duplicates + [exc], key=_place)
        return result
    checker = _Checker(path, problems, convention)
    for problem in duplicates:  # the rest is checked with the first of each duplicate key
        problems.report(problem)
    checker.run(doc, overrides)
    result.problems = problems.sorted()
    if not result.problems:
        result.spec, result.values, result.graph = checker.spec, checker.values, checker.graph
    return result


class _Checker:
    def __init__(self, path: str, problems: Problems, convention: Any = None):
        self.path = path
        self.convention = convention
        self.problems = problems
        self.spec: specs.Spec | None = None
        self.values: dict | None = None
        self.graph: Graph | None = None

    @property
    def poisoned(self) -> set[str]:
        return self.problems.poisoned

    def err(self, message: str, pos: Pos | None) -> SpecError:
        return self.problems.error(message, pos)

    def add(self, problem: SpecError) -> None:
        self.problems.report(problem)

    # ------------------------------------------------------------------ pass 1: the document
    def run(self, doc: Any, overrides: Mapping[str, Any] | None) -> None:
        spec, cyclic = specs.read(doc, self.path, self.problems)  # the checks parse makes
        if spec is None:
            return
        from costcalc.spec.models import resolve

        # read as the report reads them; a bad override is a usage error: raised, not listed
        values = resolve(spec, dict(overrides or {}), getattr(self.convention, "classes", None))
        env = self.let(spec.let, values)
        spec.let = self.good_let
        layers = spec.layers if "layers" in doc and isinstance(doc["layers"], Sequence) else None
        blocks = spec.blocks
        builder = spec.walker()
        builder._base_env = env
        shape = None
        if "input" in doc or spec.backbone is not None:  # a head's input is its backbone's
            shape = self.problems.attempt(spec.input_shape, builder, dict(env))
        static_count = len(self.problems.found)
        # pass 2: every entry, statically
        if layers is not None:
            self.entries(layers, env, frozenset(env), blocks, top=True)
        for block in blocks.values():
            scope = frozenset(env) | frozenset(block.parameters)
            known = {k: v for k, v in env.items() if k not in block.parameters}
            self.entries(block.layers, known, scope, blocks, top=False)
        # pass 3: the build, for shape problems
        if cyclic or shape is None or layers is None:
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
        if not self.problems.found and static_count == 0:
            self.spec, self.values, self.graph = spec, values, graph

    def caused_by_earlier(self, exc: SpecError) -> bool:
        """True when a build error follows from a problem already reported."""
        if any(p.line == exc.line for p in self.problems.found):
            return True
        words = exc.message.replace("(", " ").split()
        named = {w.strip("'\",;") for w in words[:4]}
        return bool(named & self.poisoned) and exc.message.startswith(("unknown name",
                                                                        "unknown layer kind"))

    def let(self, good: Any, values: dict) -> dict:
        """Evaluate the well-formed ``let`` values in order; a failing one is reported."""
        self.good_let = None
        env = dict(values)
        if good is None:
            return env
        kept = YamlMapping()
        kept.pos, kept.key_pos, kept.value_pos = good.pos, {}, {}
        for key, value in good.items():
            vpos = good.value_pos[key]
            try:
                if isinstance(value, str):
                    compiled = self.compile(value, vpos)
                    if compiled is None or compiled.names & self.poisoned:
                        raise _Skip
                    # a let sees the parameters and earlier lets, not shapes or ``i``
                    if not self.unknown_names(compiled, frozenset(env), vpos, layer=False):
                        raise _Skip  # reported: evaluating it would report it again
                    env[key] = self.evaluate(compiled, env, vpos)
                else:
                    env[key] = value
            except SpecError as exc:
                self.add(exc)
                self.poisoned.add(key)
                continue
            except _Skip:
                self.poisoned.add(key)
                continue
            kept[key] = value
            kept.key_pos[key], kept.value_pos[key] = good.key_pos[key], vpos
        self.good_let = kept
        return env

    # ------------------------------------------------------------------ pass 2: entries
    def entries(self, entries: Any, env: dict, scope: frozenset, blocks: dict, top: bool) -> None:
        if not isinstance(entries, list):
            return
        for index, entry in enumerate(entries):
            pos = position(entries, index)
            self.entry(entry, env, scope, blocks, pos, top)

    def entry(self, entry: Any, env: dict, scope: frozenset, blocks: dict, pos: Pos | None,
              top: bool) -> None:
        builder = SpecWalker(self.path, blocks)
        builder.pos = pos
        if isinstance(entry, dict) and isinstance(entry.get("kind"), str) \
                and entry["kind"] in self.poisoned:
            return  # a broken block, reported where it is defined
        try:
            block, kind = builder.resolve_kind(entry, pos)
        except SpecError as exc:
            self.add(exc)
            return
        for problem in builder.entry_problems(entry, block, kind, pos):
            self.add(problem)
        scope = scope | {"i"}
        env = dict(env, i=0)
        if "repeat" in entry:
            self.value(builder, entry, Field("repeat", "count", minimum=0,
                                             maximum=MAX_REPEAT), env, scope)
            if self.never_built(builder, entry, env):
                return  # repeat 0 at these parameters: its fields are not read
        if block is not None:
            for param in block.parameters:
                if param in entry:
                    self.expression_only(entry, param, scope)
            return
        self.fields(builder, kind, entry, env, scope, blocks, pos, top)

    @staticmethod
    def never_built(builder: SpecWalker, entry: Mapping, env: dict) -> bool:
        """True when the entry's repeat is 0 at these parameters (an optional head)."""
        try:
            return builder.value(entry, "repeat", env, Tensor(-1, Shape(1, 1, 1))) == 0
        except SpecError:
            return False  # depends on shapes or is reported already

    def fields(self, builder: SpecWalker, kind: Kind, entry: Mapping, env: dict, scope: frozenset,
               blocks: dict, pos: Pos | None, top: bool) -> None:
        for fld in kind.fields:
            if fld.name not in entry:
                continue  # a required one is in entry_problems
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

    def value(self, builder: SpecWalker, entry: Mapping, fld: Field, env: dict,
              scope: frozenset) -> None:
        """Check one field: literals with the builder's rules, expressions when computable."""
        raw = entry[fld.name]
        vpos = entry.value_pos.get(fld.name, builder.pos)
        if fld.type == "tensor":
            return  # a tensor's name: the build resolves it
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
            if fld.type in ("pair", "padding") and isinstance(raw, list) and \
                    any(isinstance(item, str) for item in raw):
                for item in raw:  # expressions may name shapes or block parameters: the
                    if isinstance(item, str):  # build evaluates them; here only their syntax
                        self.compile(item, vpos)
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


class _Skip(Exception):
    """A value that cannot be checked because something it uses is already reported."""
