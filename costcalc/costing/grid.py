"""Evaluate one spec at many parameter points (compare, sweep): the library entry point.

The naive way builds the graph at every point. When some swept parameters (typically
``resolution``) are read only by the ``input:`` shape, the graph is built once per setting of the
other parameters with the input height and width traced (``costing.tracing``), and the other
points of that group are evaluated from the traced polynomials. A group the tracer cannot follow
(``TraceUnsupported``) and a point whose guards differ are built the naive way, so the integers
are always the naive ones.
"""
from __future__ import annotations

import itertools
import math
import weakref
from operator import mul
from collections import Counter
from typing import Any, Callable, Iterator, Mapping, Sequence

from costcalc import numbers
from costcalc.costing import conventions
from costcalc.spec import expr
from costcalc.costing.report import Report, Total
from costcalc.costing.analyze import resolve
from costcalc.spec.models import SHORTCUTS
from costcalc.graph.registry import Shape
from costcalc.costing.tracing import Structure, Tracer, TraceUnsupported, total_poly
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
                  convention: str = "paper", progress: Callable[[int], Any] | None = None
                  ) -> list[tuple[dict[str, Any], Total]]:
    """Totals of ``spec`` at every point of ``axes`` (on top of ``base`` overrides).

    ``progress``, when given, is called with the number of points done since its last call.
    """
    rules = conventions.get(convention)
    base = dict(base or {})
    both = [name for name in axes if SHORTCUTS.get(name, name) in
            {SHORTCUTS.get(key, key) for key in base}]
    if both:  # neither the fixed value nor the axis may silently win
        raise UsageError(f"parameter {SHORTCUTS.get(both[0], both[0])!r} is both fixed in the "
                         "variant and swept as an axis; give it once")
    spatial = [name for name in axes if SHORTCUTS.get(name, name) in input_only_parameters(spec)]
    if math.prod(len(values) for values in axes.values()) > 1:  # a traced build may serve 2+
        try:
            return _traced_grid(spec, axes, base, rules, spatial, progress)
        except CostcalcError:
            pass  # a bad point: the naive loop reports it exactly as it would alone
        except Exception:  # noqa: BLE001 - the fast path must never cost an answer
            STATS["fallbacks"] += 1  # tests require none
    return naive_grid(spec, axes, base, rules, progress)


def naive_grid(spec: Spec, axes: Mapping[str, Sequence[Any]], base: Mapping[str, Any],
               rules: conventions.Convention, progress: Callable[[int], Any] | None = None
               ) -> list[tuple[dict[str, Any], Total]]:
    """Build and count the graph at every point."""
    results = []
    for point in points(axes):
        results.append(_naive_point(spec, {**base, **point}, rules))
        if progress is not None:
            progress(1)
    return results


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
# A group whose points keep failing the guards of its structures stops adding new ones: its
# other points are built the naive way (the work then grows like the naive loop's, never more).
MAX_STRUCTURES = 64


def _traced_grid(spec: Spec, axes: Mapping[str, Sequence[Any]], base: dict, rules,
                 spatial: list[str], progress: Callable[[int], Any] | None = None
                 ) -> list[tuple[dict[str, Any], Total]]:
    """Row by row: one row per setting of the other axes, one entry per spatial setting; then
    the points in the order of ``points(axes)``."""
    names = list(axes)
    grid = _TracedGrid(spec, names, base, rules, spatial)
    others = list(itertools.product(*(axes[n] for n in names if n not in spatial)))
    places = list(itertools.product(*(axes[n] for n in names if n in spatial)))
    rows = []
    try:
        for other in others:
            rows.append(grid.row(other, places))
            if progress is not None:
                progress(len(places))
    finally:
        STATS["evaluations"] += grid.evaluated
    flags = [name in spatial for name in names]
    if flags == sorted(flags):  # the spatial axes vary fastest: rows are already in order
        return [entry for row in rows for entry in row]
    sizes = [len(axes[name]) for name in names]
    result = []
    for index in itertools.product(*map(range, sizes)):
        row = place = 0
        for i, size, flag in zip(index, sizes, flags):
            if flag:
                place = place * size + i
            else:
                row = row * size + i
        result.append(rows[row][place])
    return result


class _TracedGrid:
    """The points of one grid: groups of points that can share traced builds.

    The swept parameters read only by ``input:`` are traced through the input size; the other
    swept parameters that are numbers (and not read by ``input:``) are traced as parameters.
    Points whose untraced values agree form a group; each group keeps the structures of its
    traced builds and builds a new one only at a point that none of them covers.
    """

    def __init__(self, spec: Spec, names: list[str], base: dict, rules, spatial: list[str]):
        self.spec, self.names, self.base, self.rules = spec, names, base, rules
        self.other_names = [name for name in names if name not in spatial]
        self.spatial_names = [name for name in names if name in spatial]
        inputs = input_parameters(spec)
        self.candidates = tuple(sorted({SHORTCUTS.get(name, name)
                                        for name in self.other_names} - inputs))
        self.input_names = sorted(inputs)
        self.tracer = Tracer(self.candidates)
        self.keys = 0
        self.groups: dict[tuple, _Group] = {}
        self.settings: dict[tuple, dict] = {}  # spatial part of a point -> its resolved values
        self.spatial = {SHORTCUTS.get(name, name) for name in self.spatial_names}
        self.inputs: dict[tuple, list] = {}  # what else the input reads -> shape per place
        self.evaluated = 0

    def other(self, other: tuple) -> tuple:
        """The resolved values, group and parameter key of one setting of the other axes."""
        values = resolve(self.spec, {**self.base, **dict(zip(self.other_names, other))},
                         self.rules)
        traced = tuple(p for p in self.candidates if numbers.is_exact(values[p]))
        shown = tuple((k, type(v) if k in traced else v) for k, v in values.items())
        group = self.groups.get(shown)
        if group is None:
            group = self.groups[shown] = _Group(self, values, traced)
        # a small int names the parameter values in every cache (hashing rationals is slow)
        self.keys += 1
        return values, group, _Key(self.keys, tuple(values[p] for p in self.candidates))

    def setting(self, place: tuple) -> dict:
        """The resolved values of the spatial parameters at one spatial setting."""
        setting = self.settings.get(place)
        if setting is None:
            setting = self.settings[place] = {}
            for name, value in zip(self.spatial_names, place):
                param = SHORTCUTS.get(name, name)
                setting[param] = resolve(self.spec, {**self.base, name: value},
                                         self.rules)[param]
        return setting

    def shapes(self, values: dict, places: list[tuple]) -> list[Shape]:
        """The input shape at every spatial setting (one list per value of what else the input
        reads, shared by the rows with those values)."""
        fixed = tuple(values[name] for name in self.input_names if name not in self.spatial)
        shapes = self.inputs.get(fixed)
        if shapes is None:
            shapes = self.inputs[fixed] = []
            for place in places:
                env = self.spec.environment({**values, **self.setting(place)})
                shapes.append(self.spec.input_shape(self.spec.walker(), env))
        return shapes

    def row(self, other: tuple, places: list[tuple]) -> list[tuple[dict[str, Any], Total]]:
        """The points of one setting of the other axes, at every spatial setting: traced,
        evaluated, or built the naive way."""
        values, group, key = self.other(other)
        settings = [self.setting(place) for place in places]
        shapes = self.shapes(values, places)
        covering = group.spatial_covering(key, shapes)
        result = []
        for index, setting in enumerate(settings):
            point = {**values, **setting}
            for part, space in covering:
                monomials = space[index]
                if monomials is not False:
                    result.append((point, Total(*[sum(map(mul, row, monomials))
                                                  for row in part])))
                    self.evaluated += 1
                    break
            else:  # a mixed structure, or none covers this point yet: the slow path
                total = group.total(point, key, shapes[index])
                covering = group.spatial_covering(key, shapes)
                if total is None:
                    combo = {**self.base, **dict(zip(self.other_names, other)),
                             **dict(zip(self.spatial_names, places[index]))}
                    result.append(_naive_point(self.spec, combo, self.rules))
                else:
                    result.append((point, total))
        return result


class _Key(int):
    """A parameter setting of the grid: an int id (the caches' key) with the values it names."""

    def __new__(cls, number: int, values: tuple):
        key = int.__new__(cls, number)
        key.values = values
        return key


class _Group:
    """Points that share every value but the traced ones: the structures of their builds."""

    def __init__(self, grid: _TracedGrid, values: dict, traced: tuple[str, ...]):
        self.grid, self.traced = grid, traced
        self.structures: list = []
        self.naive = False
        self.untraced: dict[tuple, _Group] | None = None  # per point, when tracing them failed
        self.covers: dict[int, tuple] = {}  # parameter key -> structures whose guards hold there
        self.spaces: dict[tuple, list] = {}  # (structure, shapes) -> monomials per input shape

    def covering(self, key: int) -> list:
        """The structures whose parameter guards hold at ``key``, with their coefficients."""
        if self.untraced is not None or self.naive:
            return []
        found = self.covers.get(key)
        if found is None or found[0] != len(self.structures):
            tracer = self.grid.tracer
            found = self.covers[key] = (len(self.structures), [
                (structure, part) for structure in self.structures
                for part in (structure.parameter_part(tracer, key),) if part is not False])
        return found[1]

    def spatial_covering(self, key: int, shapes: list[Shape]) -> list:
        """Per structure covering ``key`` (not mixed): its coefficients and, per input shape,
        its spatial monomials (False where its guards or channels differ)."""
        tracer = self.grid.tracer
        result = []
        for structure, part in self.covering(key):
            if structure.mixed:
                continue
            space = self.spaces.get((structure, id(shapes)))
            if space is None:
                space = self.spaces[(structure, id(shapes))] = [
                    structure.spatial_part(tracer, (shape.h, shape.w))
                    if shape.c == structure.channels and (not structure.square or
                                                          shape.h == shape.w) else False
                    for shape in shapes]
            result.append((part, space))
        return result

    def total(self, values: dict, key: int, shape: Shape) -> Total | None:
        """Totals at one point; None when it must be built the naive way."""
        if self.untraced is not None:
            group = self.untraced.get(key)
            if group is None:
                group = self.untraced[key] = _Group(self.grid, values, ())
            return group.total(values, key, shape)
        if self.naive:
            return None
        where = (shape.h, shape.w)
        tracer = self.grid.tracer
        for structure, part in self.covering(key):
            if shape.c == structure.channels and (not structure.square or shape.h == shape.w):
                found = structure.totals(tracer, key, where, part)
                if found is not None:
                    self.grid.evaluated += 1
                    return Total(*found)
        if len(self.structures) >= MAX_STRUCTURES:
            return None
        try:
            structure, total = self.trace(values)
        except (TraceUnsupported, CostcalcError):
            STATS["untraced"] += 1  # a build whose trace was given up (its points built again)
            if self.traced:  # trace the input size alone, one group per parameter setting
                self.untraced = {}
                return self.total(values, key, shape)
            self.naive = True
            return None
        self.structures.append(structure)
        return total

    def trace(self, values: dict) -> tuple[Structure, Total]:
        """Build the graph at ``values`` with the input size and the parameters traced.

        Raises TraceUnsupported when the build or its totals cannot be traced.
        """
        spec, tracer = self.grid.spec, self.grid.tracer
        STATS["builds"] += 1
        tracer.begin()
        traced = dict(values)
        for name in self.traced:
            traced[name] = tracer.parameter(name, values[name])
        env = spec.environment(traced)
        builder = spec.walker()  # with its outputs, taps and backbone (built on the traced input)
        shape = spec.input_shape(builder, env)
        height, width = tracer.input(shape.h, shape.w)
        graph = builder.build(spec.name, spec.layers, Shape(shape.c, height, width), env,
                              spec.layers.pos)
        total = Report.from_graph(graph, values, self.grid.rules).total
        guards = tracer.end()
        parts = {name: getattr(total, name) for name in Total._FIELDS}
        polys = {name: total_poly(value) for name, value in parts.items()}
        structure = Structure(tracer, guards, polys, shape.c, shape.h == shape.w, tracer.sizes)
        return structure, Total(**{name: int.__int__(v) for name, v in parts.items()})
