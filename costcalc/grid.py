"""Evaluate one spec at many parameter points (compare, sweep): the library entry point.

The naive way builds the graph at every point. When some swept parameters (typically
``resolution``) are read only by the ``input:`` shape, the graph is built once per setting of the
other parameters with the input height and width *traced*: they are ints with the true value of
that first point that also record, as integer polynomials, how every spatial size and count is
derived from them (``//`` and ``%`` of a polynomial become new symbols). Every comparison that
touches a traced value is recorded as a guard. Another point of the group then costs a few
polynomial evaluations: its guards are re-checked (a point that would take another branch is
built the naive way) and the totals evaluated. The layer formulas run unchanged, so the integers
are the naive ones; anything the tracer cannot follow (a conversion to a plain int, a division
giving a rational) marks the group untraceable and its points are built the naive way.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import threading
from collections import Counter
from fractions import Fraction
from typing import Any, Iterator, Mapping, Sequence

from costcalc import conventions, expr
from costcalc.analysis import Report, Total
from costcalc.errors import UsageError
from costcalc.api import SHORTCUTS, resolve
from costcalc.graph import Builder
from costcalc.kinds import Shape
from costcalc.spec import Spec

# How much work evaluate_grid did: graph builds (traced or naive) and points evaluated from a
# traced build's polynomials. Tests read these to check that work grows only with the grid.
STATS: Counter = Counter()
SPATIAL_NAMES = frozenset({"in_height", "in_width"})
_LOCK = threading.Lock()
_new_int = int.__new__


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
        except Exception:  # noqa: BLE001 - the naive loop below reports any error as it would
            pass
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


def _parameter_use(spec: Spec) -> tuple[frozenset[str], frozenset[str]]:
    cached = getattr(spec, "_grid_parameter_use", None)
    if cached is not None:
        return cached
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
    read_by_input = frozenset(n for n in _closure(input_names, lets) if n in spec.parameters)
    only: frozenset[str] = frozenset()
    if not (layer_names & SPATIAL_NAMES):
        used = _closure(layer_names, lets)
        only = frozenset(name for name in read_by_input if name not in used)
    result = (only, read_by_input)
    try:
        spec._grid_parameter_use = result
    except AttributeError:  # pragma: no cover - a spec without a __dict__
        pass
    return result


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
    names = list(axes)
    other_at = [i for i, name in enumerate(names) if name not in spatial]
    spatial_at = [i for i, name in enumerate(names) if name in spatial]
    spatial_params = {SHORTCUTS.get(name, name) for name in spatial}
    trace = _Trace()
    results: list = []
    groups: dict[tuple, _Group] = {}
    shapes: dict[tuple, Shape] = {}
    settings: dict[tuple, dict] = {}  # spatial part of a point -> its resolved values
    fallbacks = 0
    for combo in itertools.product(*axes.values()):
        key = tuple(combo[i] for i in other_at)
        group = groups.get(key)
        if group is None:
            group_values = resolve(spec, {**base, **{names[i]: combo[i] for i in other_at}}, rules)
            group = groups[key] = _Group(spec, group_values, rules)
            group.fixed = tuple(group_values[name] for name in group.input_names
                                if name not in spatial_params)
        where = tuple(combo[i] for i in spatial_at)
        setting = settings.get(where)
        if setting is None:
            setting = settings[where] = {}
            for i in spatial_at:
                param = SHORTCUTS.get(names[i], names[i])
                setting[param] = resolve(spec, {**base, names[i]: combo[i]}, rules)[param]
        values = {**group.values, **setting}
        if group.total is None:
            group.trace_build(trace, values)
            results.append((values, group.probe_total))
            continue
        shape_key = (group.fixed, where)
        shape = shapes.get(shape_key)
        if shape is None:
            shape = shapes[shape_key] = group.input_shape(values)
        total = None if group.tainted else group.evaluate(trace, shape)
        if total is None:
            fallbacks += 1
            results.append(_naive_point(spec, {**base, **dict(zip(names, combo))}, rules))
        else:
            results.append((values, total))
    STATS["evaluations"] += len(results) - len(groups) - fallbacks
    return results


class _Group:
    """Points sharing every parameter but the input-only ones: one traced build."""

    def __init__(self, spec: Spec, values: dict, rules):
        self.spec, self.values, self.rules = spec, values, rules
        self.total = None
        self.tainted = False
        self.input_names = sorted(input_parameters(spec))

    def input_shape(self, values: dict) -> Shape:
        env = self.spec.environment(values)
        return self.spec.input_shape(Builder(self.spec.path, self.spec.blocks), env)

    def trace_build(self, trace: "_Trace", values: dict) -> None:
        """Build the graph at ``values`` with the input height and width traced."""
        spec = self.spec
        env = spec.environment(values)
        builder = Builder(spec.path, spec.blocks)
        shape = spec.input_shape(builder, env)
        self.channels = shape.c
        # A square input traces one symbol for both sides; then only square points use it.
        self.square = shape.h == shape.w
        STATS["builds"] += 1
        with _LOCK:  # one traced build at a time: guards go to the active trace
            trace.begin()
            try:
                height = _Dim.symbol(shape.h, 0)
                width = height if self.square else _Dim.symbol(shape.w, 1)
                graph = builder.build(spec.name, spec.layers, Shape(shape.c, height, width), env,
                                      spec.layers.pos)
                total = Report.from_graph(graph, values, self.rules).total
            finally:
                guards, self.tainted = trace.end()
        self.guards = frozenset(guards)
        parts = {f.name: getattr(total, f.name) for f in dataclasses.fields(total)}
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in parts.values()):
            self.tainted = True  # a total that is not a count: evaluate the naive way
        self.probe_total = Total(**{name: int.__int__(v) if isinstance(v, _Dim) else v
                                    for name, v in parts.items()})
        self.total = {name: _compiled(v) for name, v in parts.items()}

    def evaluate(self, trace: "_Trace", shape: Shape) -> Total | None:
        """Totals at input ``shape`` from the traced polynomials; None when a guard differs."""
        if shape.c != self.channels or (self.square and shape.h != shape.w):
            return None
        where = (shape.h, shape.w)
        symbols = trace.values(*where)
        if not trace.check(self.guards, symbols, where):
            return None
        known = trace.monomials.setdefault(where, {})
        result = {}
        for name, terms in self.total.items():
            total = 0
            for coef, mono in terms:
                value = known.get(mono)
                if value is None:
                    value = known[mono] = _evaluate([(1, mono)], symbols)
                total += coef * value
            result[name] = total
        return Total(**result)


def _compiled(value: Any) -> list[tuple[int, tuple[int, ...]]]:
    if not isinstance(value, int):
        return []
    poly = value.poly if isinstance(value, _Dim) else {(): int.__int__(value)}
    return list((coef, mono) for mono, coef in poly.items())


def _evaluate(terms: list, symbols: list[int]) -> int:
    total = 0
    for coef, mono in terms:
        for symbol in mono:
            coef *= symbols[symbol]
        total += coef
    return total


# ----------------------------------------------------------------------------- tracing
class _Trace:
    """Symbols (``poly // d`` and ``poly % d`` of earlier ones) and the guards of one build."""

    active: "_Trace | None" = None

    def __init__(self):
        self.definitions: list[tuple] = [("h",), ("w",)]
        self.ids: dict[tuple, int] = {}
        self.cache: dict[tuple, list[int]] = {}
        self.checked: dict[tuple, bool] = {}
        self.monomials: dict[tuple, dict] = {}
        self.guards: set = set()
        self.tainted = False

    def begin(self) -> None:
        self.guards, self.tainted = set(), False
        _Trace.active = self

    def end(self) -> tuple[set, bool]:
        _Trace.active = None
        return self.guards, self.tainted

    def symbol(self, op: str, poly: dict, divisor: int) -> int:
        key = (op, tuple(sorted(poly.items())), divisor)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.definitions)
            self.definitions.append((op, [(c, m) for m, c in key[1]], divisor))
        return found

    def values(self, h: int, w: int) -> list[int]:
        """Every symbol's value for input height ``h`` and width ``w``."""
        known = self.cache.get((h, w))
        if known is None:
            known = self.cache[(h, w)] = [h, w]
        if len(known) == len(self.definitions):
            return known
        for op, terms, divisor in self.definitions[len(known):]:
            value = _evaluate(terms, known)
            known.append(value // divisor if op == "//" else value % divisor)
        return known

    def check(self, guards: frozenset, symbols: list[int], where: tuple) -> bool:
        key = (guards, where)
        ok = self.checked.get(key)
        if ok is None:
            ok = self.checked[key] = all(
                _holds(_evaluate([(c, m) for m, c in items], symbols), op) == outcome
                for items, op, outcome in guards)
        return ok


def _holds(value: int, op: str) -> bool:
    return {"==": value == 0, "<": value < 0, "<=": value <= 0}[op]


def _poly(value: Any) -> dict | None:
    """``value`` as a polynomial in the traced symbols, or None when it is not an exact int."""
    if isinstance(value, _Dim):
        return value.poly
    if type(value) is int or type(value) is bool:
        return {(): int(value)} if value else {}
    return None


def _add(a: dict, b: dict, sign: int = 1) -> dict:
    result = dict(a)
    for mono, coef in b.items():
        coef = result.get(mono, 0) + sign * coef
        if coef:
            result[mono] = coef
        else:
            result.pop(mono, None)
    return result


def _mul(a: dict, b: dict) -> dict:
    result: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            mono = tuple(sorted(ma + mb))
            coef = result.get(mono, 0) + ca * cb
            if coef:
                result[mono] = coef
            else:
                result.pop(mono, None)
    return result


def _make(value: int, poly: dict) -> Any:
    if not poly or (len(poly) == 1 and () in poly):
        return value
    dim = _new_int(_Dim, value)
    dim.poly = poly
    return dim


def _taint(*_: Any) -> None:
    if _Trace.active is not None:
        _Trace.active.tainted = True


def _guard(a: Any, b: Any, op: str, outcome: bool) -> bool:
    """Record that ``a op b`` came out ``outcome`` (ops: ==, <, <=; > and >= arrive swapped)."""
    trace = _Trace.active
    if op == "==" and type(b) is int and b == 0 and isinstance(a, _Dim) and len(a.poly) == 1:
        if trace is not None:  # c * monomial == 0 exactly when the monomial is 0
            trace.guards.add((((next(iter(a.poly)), 1),), op, outcome))
        return outcome
    pa, pb = _poly(a), _poly(b)
    if pa is None or pb is None:
        if isinstance(a, (Fraction, float, complex)) or isinstance(b, (Fraction, float, complex)):
            _taint()
        return outcome
    diff = _add(pa, pb, -1)
    if not diff or (len(diff) == 1 and () in diff):
        return outcome
    if trace is not None:
        if op == "==" and len(diff) == 1:
            items = ((next(iter(diff)), 1),)  # c * monomial == 0 exactly when monomial == 0
        else:
            divisor = math.gcd(*diff.values())  # positive: keeps < and <= as they are
            items = tuple(sorted((m, c // divisor) for m, c in diff.items()))
        trace.guards.add((items, op, outcome))
    return outcome


class _Dim(int):
    """An int that also knows, as a polynomial, how it follows from the traced input size."""

    poly: dict

    @classmethod
    def symbol(cls, value: int, index: int) -> "_Dim":
        return _make(value, {(index,): 1}) if isinstance(value, int) else value

    def __add__(self, other):
        if type(other) is int:
            if not other:
                return self
            poly = dict(self.poly)
            coef = poly.get((), 0) + other
            if coef:
                poly[()] = coef
            else:
                del poly[()]
            return _make(int.__add__(self, other), poly)
        if isinstance(other, _Dim):
            return _make(int.__add__(self, other), _add(self.poly, other.poly))
        _taint()
        return int.__add__(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        po = _poly(other)
        if po is None:
            _taint()
            return int.__sub__(self, other)
        return _make(int.__sub__(self, other), _add(self.poly, po, -1))

    def __rsub__(self, other):
        po = _poly(other)
        if po is None:
            _taint()
            return int.__rsub__(self, other)
        return _make(int.__rsub__(self, other), _add(po, self.poly, -1))

    def __mul__(self, other):
        if type(other) is int:
            if other == 1:
                return self
            if not other:
                return 0
            return _make(int.__mul__(self, other), {m: c * other for m, c in self.poly.items()})
        if isinstance(other, _Dim):
            return _make(int.__mul__(self, other), _mul(self.poly, other.poly))
        _taint()
        return int.__mul__(self, other)

    __rmul__ = __mul__

    def __neg__(self):
        return _make(-int.__int__(self), {m: -c for m, c in self.poly.items()})

    def __pos__(self):
        return self

    def _divide(self, other, op):
        value = getattr(int, "__floordiv__" if op == "//" else "__mod__")(self, other)
        if type(other) is not int or other <= 0 or _Trace.active is None:
            _taint()
            return value
        if other == 1:
            return self if op == "//" else 0
        return _make(value, {(_Trace.active.symbol(op, self.poly, other),): 1})

    def __floordiv__(self, other):
        return self._divide(other, "//")

    def __mod__(self, other):
        return self._divide(other, "%")

    def __pow__(self, other, modulo=None):
        if modulo is None and type(other) is int and 0 <= other <= 8:
            result: Any = 1
            for _ in range(other):
                result = self * result
            return result
        _taint()
        return int.__pow__(self, other, modulo)

    def _compare(self, other, op, swap, outcome):
        if outcome is NotImplemented:
            return outcome
        if type(other) is int:
            # The same object against the same constant records the same guard: once is enough.
            seen = self.__dict__.get("seen")
            if seen is None:
                seen = self.seen = set()
            key = (op, swap, other)
            if key in seen:
                return outcome
            seen.add(key)
        return _guard(other, self, op, outcome) if swap else _guard(self, other, op, outcome)

    def __eq__(self, other):
        if type(other) is int and other == 0 and len(self.poly) == 1:
            outcome = int.__eq__(self, 0)  # c * monomial == 0 exactly when the monomial is 0
            if _Trace.active is not None:
                _Trace.active.guards.add((((next(iter(self.poly)), 1),), "==", outcome))
            return outcome
        return self._compare(other, "==", False, int.__eq__(self, other))

    def __ne__(self, other):
        outcome = self._compare(other, "==", False, int.__eq__(self, other))
        return outcome if outcome is NotImplemented else not outcome

    def __lt__(self, other):
        return self._compare(other, "<", False, int.__lt__(self, other))

    def __le__(self, other):
        return self._compare(other, "<=", False, int.__le__(self, other))

    def __gt__(self, other):
        return self._compare(other, "<", True, int.__gt__(self, other))

    def __ge__(self, other):
        return self._compare(other, "<=", True, int.__ge__(self, other))

    def __bool__(self):
        return not self._compare(0, "==", False, int.__eq__(self, 0))

    __hash__ = int.__hash__

    def __floor__(self):
        return self

    __ceil__ = __trunc__ = __floor__

    def __round__(self, ndigits=None):
        if ndigits is None or ndigits >= 0:
            return self
        _taint()
        return int.__round__(self, ndigits)

    def __index__(self):
        _taint()
        return int.__int__(self)

    def __int__(self):
        _taint()
        return int.__int__(self)

    def __float__(self):
        _taint()
        return int.__float__(self)

    def __reduce__(self):
        return (int, (int.__int__(self),))

    @property
    def numerator(self):
        _taint()
        return int.__int__(self)

    @property
    def denominator(self):
        _taint()
        return 1


def _tainting(name: str):
    method = getattr(int, name)

    def tainted(self, *args):
        _taint()
        return method(self, *args)

    tainted.__name__ = name
    return tainted


for _name in ("__truediv__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__divmod__",
              "__rdivmod__", "__rpow__", "__abs__", "__invert__", "__and__", "__rand__", "__or__",
              "__ror__", "__xor__", "__rxor__", "__lshift__", "__rlshift__", "__rshift__",
              "__rrshift__", "bit_length", "bit_count", "to_bytes", "as_integer_ratio",
              "conjugate", "__complex__"):
    if hasattr(int, _name):
        setattr(_Dim, _name, _tainting(_name))
