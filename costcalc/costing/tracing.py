"""The fast path of ``evaluate_grid``: a graph built once with its input height and width traced.

The traced sides are ints with the true value of a first point that also record, as integer
polynomials, how every spatial size and count is derived from them (``//`` and ``%`` of a
polynomial become new symbols). Every comparison that touches a traced value is recorded as a
guard. Another point then costs a few polynomial evaluations: its guards are re-checked (a point
that would take another branch is built the naive way) and the totals evaluated. The layer
formulas run unchanged, so the integers are the naive ones. Anything the tracer cannot follow
raises ``TraceUnsupported`` at the end of the build, and the caller builds those points the
naive way.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

_new_int = int.__new__


def evaluate(terms: list, symbols: list[int]) -> int:
    """A polynomial (``(coefficient, monomial)`` terms) at the symbols' values."""
    total = 0
    for coef, mono in terms:
        for symbol in mono:
            coef *= symbols[symbol]
        total += coef
    return total


def compiled(value: Any) -> list[tuple[int, tuple[int, ...]]]:
    """A traced total as ``(coefficient, monomial)`` terms (a plain int: one constant term)."""
    if not isinstance(value, int):
        return []
    poly = value.poly if isinstance(value, Traced) else {(): int.__int__(value)}
    return list((coef, mono) for mono, coef in poly.items())


class TraceUnsupported(Exception):
    """A traced build met an operation the tracer cannot follow (a conversion to a plain int, a
    division giving a rational) or gave a total that is not a count: its points must be built
    the naive way."""


class Tracer:
    """Symbols (``poly // d`` and ``poly % d`` of earlier ones) and the guards of one build.

    One tracer serves a whole grid: symbols and evaluated monomials are shared between builds;
    ``begin`` starts the guards of the next build. Every traced value carries its tracer, so
    there is no global state and builds in different threads do not meet.
    """

    def __init__(self):
        self.definitions: list[tuple] = [("h",), ("w",)]
        self.ids: dict[tuple, int] = {}
        self.cache: dict[tuple, list[int]] = {}
        self.checked: dict[tuple, bool] = {}
        self.monomials: dict[tuple, dict] = {}
        self.guards: set = set()
        self.tainted = False

    def begin(self) -> None:
        """Start a build: no guards yet, nothing untraceable seen."""
        self.guards, self.tainted = set(), False

    def end(self) -> set:
        """The guards of the build; TraceUnsupported when it met something untraceable."""
        if self.tainted:
            raise TraceUnsupported("the build used an operation the tracer cannot follow")
        return self.guards

    def taint(self) -> None:
        """Note an operation whose result the polynomials cannot describe."""
        self.tainted = True

    def input(self, height: int, width: int) -> tuple[Any, Any]:
        """The traced input sides (one symbol for both when the input is square)."""
        h = _make(height, {(0,): 1}, self)
        return h, (h if height == width else _make(width, {(1,): 1}, self))

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
            value = evaluate(terms, known)
            known.append(value // divisor if op == "//" else value % divisor)
        return known

    def check(self, guards: frozenset, symbols: list[int], where: tuple) -> bool:
        key = (guards, where)
        ok = self.checked.get(key)
        if ok is None:
            ok = self.checked[key] = all(
                _holds(evaluate([(c, m) for m, c in items], symbols), op) == outcome
                for items, op, outcome in guards)
        return ok


def _holds(value: int, op: str) -> bool:
    return {"==": value == 0, "<": value < 0, "<=": value <= 0}[op]


def _poly(value: Any) -> dict | None:
    """``value`` as a polynomial in the traced symbols, or None when it is not an exact int."""
    if isinstance(value, Traced):
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


def _make(value: int, poly: dict, tracer: Tracer) -> Any:
    if not poly or (len(poly) == 1 and () in poly):
        return value
    dim = _new_int(Traced, value)
    dim.poly = poly
    dim.tracer = tracer
    return dim


def _guard(tracer: Tracer, a: Any, b: Any, op: str, outcome: bool) -> bool:
    """Record that ``a op b`` came out ``outcome`` (ops: ==, <, <=; > and >= arrive swapped)."""
    if op == "==" and type(b) is int and b == 0 and isinstance(a, Traced) and len(a.poly) == 1:
        tracer.guards.add((((next(iter(a.poly)), 1),), op, outcome))  # c * m == 0 iff m == 0
        return outcome
    pa, pb = _poly(a), _poly(b)
    if pa is None or pb is None:
        if isinstance(a, (Fraction, float, complex)) or isinstance(b, (Fraction, float, complex)):
            tracer.taint()
        return outcome
    diff = _add(pa, pb, -1)
    if not diff or (len(diff) == 1 and () in diff):
        return outcome
    if op == "==" and len(diff) == 1:
        items = ((next(iter(diff)), 1),)  # c * monomial == 0 exactly when monomial == 0
    else:
        divisor = math.gcd(*diff.values())  # positive: keeps < and <= as they are
        items = tuple(sorted((m, c // divisor) for m, c in diff.items()))
    tracer.guards.add((items, op, outcome))
    return outcome


class Traced(int):
    """An int that also knows, as a polynomial, how it follows from the traced input size.

    Layer formulas run on it unchanged and get the true int; every comparison is recorded as a
    guard in its ``tracer``, every operation the polynomials cannot describe taints the build.
    """

    poly: dict
    tracer: Tracer

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
            return _make(int.__add__(self, other), poly, self.tracer)
        if isinstance(other, Traced):
            return _make(int.__add__(self, other), _add(self.poly, other.poly), self.tracer)
        self.tracer.taint()
        return int.__add__(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return int.__sub__(self, other)
        return _make(int.__sub__(self, other), _add(self.poly, po, -1), self.tracer)

    def __rsub__(self, other):
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return int.__rsub__(self, other)
        return _make(int.__rsub__(self, other), _add(po, self.poly, -1), self.tracer)

    def __mul__(self, other):
        if type(other) is int:
            if other == 1:
                return self
            if not other:
                return 0
            poly = {m: c * other for m, c in self.poly.items()}
            return _make(int.__mul__(self, other), poly, self.tracer)
        if isinstance(other, Traced):
            return _make(int.__mul__(self, other), _mul(self.poly, other.poly), self.tracer)
        self.tracer.taint()
        return int.__mul__(self, other)

    __rmul__ = __mul__

    def __neg__(self):
        return _make(-int.__int__(self), {m: -c for m, c in self.poly.items()}, self.tracer)

    def __pos__(self):
        return self

    def _divide(self, other, op):
        value = getattr(int, "__floordiv__" if op == "//" else "__mod__")(self, other)
        if type(other) is not int or other <= 0:
            self.tracer.taint()
            return value
        if other == 1:
            return self if op == "//" else 0
        return _make(value, {(self.tracer.symbol(op, self.poly, other),): 1}, self.tracer)

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
        self.tracer.taint()
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
        if swap:
            return _guard(self.tracer, other, self, op, outcome)
        return _guard(self.tracer, self, other, op, outcome)

    def __eq__(self, other):
        if type(other) is int and other == 0 and len(self.poly) == 1:
            outcome = int.__eq__(self, 0)  # c * monomial == 0 exactly when the monomial is 0
            self.tracer.guards.add((((next(iter(self.poly)), 1),), "==", outcome))
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
        self.tracer.taint()
        return int.__round__(self, ndigits)

    def __index__(self):
        self.tracer.taint()
        return int.__int__(self)

    def __int__(self):
        self.tracer.taint()
        return int.__int__(self)

    def __float__(self):
        self.tracer.taint()
        return int.__float__(self)

    def __reduce__(self):
        return (int, (int.__int__(self),))

    @property
    def numerator(self):
        self.tracer.taint()
        return int.__int__(self)

    @property
    def denominator(self):
        self.tracer.taint()
        return 1


def _tainting(name: str):
    method = getattr(int, name)

    def tainted(self, *args):
        self.tracer.taint()
        return method(self, *args)

    tainted.__name__ = name
    return tainted


for _name in ("__truediv__", "__rtruediv__", "__rfloordiv__", "__rmod__", "__divmod__",
              "__rdivmod__", "__rpow__", "__abs__", "__invert__", "__and__", "__rand__", "__or__",
              "__ror__", "__xor__", "__rxor__", "__lshift__", "__rlshift__", "__rshift__",
              "__rrshift__", "bit_length", "bit_count", "to_bytes", "as_integer_ratio",
              "conjugate", "__complex__"):
    if hasattr(int, _name):
        setattr(Traced, _name, _tainting(_name))
