"""Evaluate one spec at many parameter points (compare, sweep): the library entry point.

The naive way builds the graph at every point. When some swept parameters (typically
``resolution``) are read only by the ``input:`` shape, the graph is built once per setting of the
other parameters with the input height and width traced (``costing.tracing``), and the other
points of that group are evaluated from the traced polynomials. A group the tracer cannot follow
(``TraceUnsupported``) and a point whose guards differ are built the naive way, so the integers
are always the naive ones.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import weakref
from collections import Counter
from typing import Any, Iterator, Mapping, Sequence

from costcalc.costing import conventions
from costcalc.spec import expr
from costcalc.costing.report import Report, Total
from costcalc.costing.analyze import resolve
from costcalc.spec.models import SHORTCUTS
from costcalc.spec.walker import SpecWalker
from costcalc.graph.registry import Shape
from costcalc.costing.tracing import Tracer, TraceUnsupported, compiled, evaluate
from costcalc.errors import CostcalcError, UsageError
from costcalc.spec.document import Spec

# How much work evaluate_grid did: graph builds (traced or naive) and points evaluated from a
# traced build's polynomials. Tests read these to check that work grows only with the grid.
STATS: Counter = Counter()
SPATIAL_NAMES = frozenset({"in_height", "in_width"})


def points(axes: Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """The cross product of parameter axes, first axis slowest."""
    names = list(axes)
    for combo in itertools.product(*(axes[n] for n in names)):
        yield dict(zip(names, combo))


def evaluate_grid(spec: Spec, axes: Mapping[str, Sequence[Any]], base: Mapping[str, Any] | None = None,
                  convention: str = "paper") -> list[tuple[dict[str, Any], Total]]:
    """Totals of ``spec`` at every point of ``axes`` (on top of ``base`` overrides)."""
    rules = conventions.get(convention)
    base = dict(base or {})
    both = [name for name in axes if SHORTCUTS.get(name, name) in
            {SHORTCUTS.get(key, key) for key in base}]
    if both:  # neither the fixed value nor the axis may silently win
        raise UsageError(f"parameter {SHORTCUTS.get(both[0], both[0])!r} is both fixed in the "
                         "variant and swept as an axis; give it once")
    spatial = [name for name in axes if SHORTCUTS.get(name, name) in input_only_parameters(spec)]
    if math.prod(len(axes[name]) for name in spatial) > 1:  # a traced build serves 2+ points
        try:
            return _traced_grid(spec, axes, base, rules, spatial)
        except CostcalcError:
            pass  # a bad point: the naive loop reports it exactly as it would alone
    return naive_grid(spec, axes, base, rules)


def naive_grid(spec: Spec, axes: Mapping[str, Sequence[Any]], base: Mapping[str, Any],
               rules: conventions.Convention) -> list[tuple[dict[str, Any], Total]]:
    """Build and count the graph at every point."""
    return [_naive_point(spec, {**base, **point}, rules) for point in points(axes)]


def _naive_point(spec: Spec, overrides: Mapping[str, Any], rules: conventions.Convention):
    values = resolve(spec, dict(overrides), rules)
    STATS["builds"] += 1
    return values, Report.from_graph(spec.build(values), values, rules).total


# ----------------------------------------------------------------------------- which parameters
def input_only_parameters(spec: Spec) -> frozenset[str]:
    """Parameters that reach the graph only through the ``input:`` shape (directly or via let)."""
    return _parameter_use(spec)[0]


def input_parameters(spec: Spec) -> frozenset[str]:
    """Parameters the ``input:`` shape reads (directly or via let)."""
    return _parameter_use(spec)[1]


class ParameterUseCache:
    """Which parameters each spec's ``input:`` reads, computed once per spec while it lives."""

    def __init__(self):
        self._entries: dict[int, tuple[weakref.ref, tuple]] = {}

    def get(self, spec: Spec) -> tuple[frozenset[str], frozenset[str]]:
        entry = self._entries.get(id(spec))
        if entry is not None and entry[0]() is spec:
            return entry[1]
        result = _parameter_use_of(spec)
        key = id(spec)
        self._entries[key] = (weakref.ref(spec, lambda _, key=key: self._entries.pop(key, None)),
                              result)
        return result


PARAMETER_USE = ParameterUseCache()


def _parameter_use(spec: Spec) -> tuple[frozenset[str], frozenset[str]]:
    return PARAMETER_USE.get(spec)


def _parameter_use_of(spec: Spec) -> tuple[frozenset[str], frozenset[str]]:
    lets = {}
    if spec.let:
        for key, raw in spec.let.items():
            lets[key] = _names(raw)
    layer_names: set[str] = set()
    _collect(spec.layers, layer_names)
    for block in spec.blocks.values():
        _collect(block.layers, layer_names)
        _collect(list(block.parameters.values()), layer_names)
    input_names: set[str] = set()
    _collect(spec.input, input_names)
    _backbone_use(spec, input_names, layer_names)
    read_by_input = frozenset(n for n in _closure(input_names, lets) if n in spec.parameters)
    only: frozenset[str] = frozenset()
    if not (layer_names & SPATIAL_NAMES):
        used = _closure(layer_names, lets)
        only = frozenset(name for name in read_by_input if name not in used)
    return only, read_by_input


def _backbone_use(spec: Spec, input_names: set[str], layer_names: set[str]) -> None:
    """A head's input is its backbone's: a value set for a backbone parameter that only the
    backbone's input reads (its resolution) is read by the input; any other by the layers."""
    backbone = spec.backbone
    if backbone is None:
        return
    from costcalc.spec.document import load_spec

    only, _ = _parameter_use(backbone.spec(load_spec))
    for param, raw in (backbone.settings or {}).items():
        (input_names if param in only else layer_names).update(_names(raw))


def _names(raw: Any) -> set[str]:
    if not isinstance(raw, str):
        return set()
    try:
        return set(expr.compile_expression(raw).names)
    except expr.ExprError:
        return set()


def _collect(raw: Any, into: set[str]) -> None:
    """Every name any string below ``raw`` could read (conservative: all strings count)."""
    if isinstance(raw, str):
        into |= _names(raw)
    elif isinstance(raw, dict):
        for value in raw.values():
            _collect(value, into)
    elif isinstance(raw, (list, tuple)):
        for value in raw:
            _collect(value, into)


def _closure(names: set[str], lets: Mapping[str, set[str]]) -> set[str]:
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += lets.get(name, ())
    return seen


# ----------------------------------------------------------------------------- the traced grid
def _traced_grid(spec: Spec, axes: Mapping[str, Sequence[Any]], base: dict, rules,
                 spatial: list[str]) -> list[tuple[dict[str, Any], Total]]:
    grid = _TracedGrid(spec, list(axes), base, rules, spatial)
    results = [grid.point(combo) for combo in itertools.product(*axes.values())]
    STATS["evaluations"] += grid.evaluated
    return results


class _TracedGrid:
    """The points of one grid: groups by their non-spatial values, each traced once."""

    def __init__(self, spec: Spec, names: list[str], base: dict, rules, spatial: list[str]):
        self.spec, self.names, self.base, self.rules = spec, names, base, rules
        self.other_at = [i for i, name in enumerate(names) if name not in spatial]
        self.spatial_at = [i for i, name in enumerate(names) if name in spatial]
        self.spatial_params = {SHORTCUTS.get(name, name) for name in spatial}
        self.tracer = Tracer()
        self.groups: dict[tuple, _Group] = {}
        self.shapes: dict[tuple, Shape] = {}
        self.settings: dict[tuple, dict] = {}  # spatial part of a point -> its resolved values
        self.evaluated = 0

    def group(self, combo: tuple) -> "_Group":
        key = tuple(combo[i] for i in self.other_at)
        group = self.groups.get(key)
        if group is None:
            values = resolve(self.spec, {**self.base, **{self.names[i]: combo[i]
                                                         for i in self.other_at}}, self.rules)
            group = self.groups[key] = _Group(self.spec, values, self.rules)
            group.fixed = tuple(values[name] for name in group.input_names
                                if name not in self.spatial_params)
        return group

    def setting(self, where: tuple, combo: tuple) -> dict:
        setting = self.settings.get(where)
        if setting is None:
            setting = self.settings[where] = {}
            for i in self.spatial_at:
                param = SHORTCUTS.get(self.names[i], self.names[i])
                setting[param] = resolve(self.spec, {**self.base, self.names[i]: combo[i]},
                                         self.rules)[param]
        return setting

    def point(self, combo: tuple) -> tuple[dict[str, Any], Total]:
        """The values and totals at one point: traced, evaluated, or built the naive way."""
        group = self.group(combo)
        where = tuple(combo[i] for i in self.spatial_at)
        values = {**group.values, **self.setting(where, combo)}
        if group.total is None and not group.naive:
            try:
                group.trace_build(self.tracer, values)
            except TraceUnsupported:
                group.naive = True  # this group's points are built one by one
            else:
                return values, group.probe_total
        shape_key = (group.fixed, where)
        shape = self.shapes.get(shape_key)
        if shape is None:
            shape = self.shapes[shape_key] = group.input_shape(values)
        total = None if group.naive else group.evaluate(self.tracer, shape)
        if total is None:
            return _naive_point(self.spec, {**self.base, **dict(zip(self.names, combo))},
                                self.rules)
        self.evaluated += 1
        return values, total


class _Group:
    """Points sharing every parameter but the input-only ones: one traced build."""

    def __init__(self, spec: Spec, values: dict, rules):
        self.spec, self.values, self.rules = spec, values, rules
        self.total = None
        self.naive = False
        self.input_names = sorted(input_parameters(spec))

    def input_shape(self, values: dict) -> Shape:
        env = self.spec.environment(values)
        return self.spec.input_shape(SpecWalker(self.spec.path, self.spec.blocks), env)

    def trace_build(self, tracer: Tracer, values: dict) -> None:
        """Build the graph at ``values`` with the input height and width traced.

        Raises TraceUnsupported when the build or its totals cannot be traced.
        """
        spec = self.spec
        env = spec.environment(values)
        builder = spec.walker()  # with its outputs, taps and backbone (built on the traced input)
        shape = spec.input_shape(builder, env)
        self.channels = shape.c
        # A square input traces one symbol for both sides; then only square points use it.
        self.square = shape.h == shape.w
        STATS["builds"] += 1
        tracer.begin()
        height, width = tracer.input(shape.h, shape.w)
        graph = builder.build(spec.name, spec.layers, Shape(shape.c, height, width), env,
                              spec.layers.pos)
        total = Report.from_graph(graph, values, self.rules).total
        self.guards = frozenset(tracer.end())
        parts = {f.name: getattr(total, f.name) for f in dataclasses.fields(total)}
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in parts.values()):
            raise TraceUnsupported("a total is not a count")
        self.probe_total = Total(**{name: int.__int__(v) for name, v in parts.items()})
        self.total = {name: compiled(v) for name, v in parts.items()}

    def evaluate(self, tracer: Tracer, shape: Shape) -> Total | None:
        """Totals at input ``shape`` from the traced polynomials; None when a guard differs."""
        if shape.c != self.channels or (self.square and shape.h != shape.w):
            return None
        where = (shape.h, shape.w)
        symbols = tracer.values(*where)
        if not tracer.check(self.guards, symbols, where):
            return None
        known = tracer.monomials.setdefault(where, {})
        result = {}
        for name, terms in self.total.items():
            total = 0
            for coef, mono in terms:
                value = known.get(mono)
                if value is None:
                    value = known[mono] = evaluate([(1, mono)], symbols)
                total += coef * value
            result[name] = total
        return Total(**result)
