"""The fast path of ``evaluate_grid``: a graph built once with its input size and numeric parameters traced.

A traced value carries the true value of a first point (the probe) and also records, as a
polynomial, how it follows from the traced inputs: the input height and width (the *spatial*
side) and the swept numeric parameters such as ``alpha`` (the *parameter* side). Every rounding
of a traced value (``//``, ``%``, ``make_divisible``, ``round``, ``floor``, ``ceil``, an integral
value becoming an int) becomes a new symbol, whose rule is compiled once into a closure that
applies the same function to the evaluated argument. Every comparison, and every test of
whether a rational is whole, is recorded as a guard. The polynomials of one build, its guards
and its totals form a ``Structure``: another point whose guards hold gets its totals from a few
closure calls, and the integers are the naive ones because the layer formulas ran unchanged on
the probe and every decision they took is re-checked. Anything the tracer cannot follow taints
the build, and ``TraceUnsupported`` is raised at its end.
"""
from __future__ import annotations

import math
from fractions import Fraction
from operator import itemgetter, mul
from typing import Any, Callable

from costcalc import numbers

_new_int = int.__new__
SPATIAL, PARAMETER = 1, 2  # the sides a symbol depends on (a bit mask: 3 is both)


class TraceUnsupported(Exception):
    """A traced build met an operation the tracer cannot follow (a conversion to a plain int, a
    division by a traced value) or gave a total that is not a count: its points must be built
    another way."""


# ----------------------------------------------------------------------------- polynomials
# A polynomial is a dict {monomial: coefficient}; a monomial is a sorted tuple of symbol ids
# (a symbol repeated for a power), the constant term is the empty tuple.

def _accumulate(result: dict, mono: tuple, coef: Any) -> None:
    """Add ``coef * mono`` to ``result``, dropping a term that cancels."""
    coef += result.get(mono, 0)
    if coef:
        result[mono] = coef
    else:
        result.pop(mono, None)


def _add(a: dict, b: dict, sign: int = 1) -> dict:
    result = dict(a)
    for mono, coef in b.items():
        _accumulate(result, mono, sign * coef)
    return result


def _mul(a: dict, b: dict) -> dict:
    result: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            _accumulate(result, tuple(sorted(ma + mb)), ca * cb)
    return result


def _scale(a: dict, factor: Any) -> dict:
    return {mono: coef * factor for mono, coef in a.items()} if factor else {}


def compile_poly(poly: dict) -> Callable[[list], Any]:
    """A closure giving ``poly`` at a list of symbol values (built once: no walk per point)."""
    terms = tuple((coef, mono) for mono, coef in poly.items())
    if not terms:
        return lambda values: 0
    if len(terms) == 1 and terms[0][0] == 1 and len(terms[0][1]) == 1:
        return itemgetter(terms[0][1][0])
    if all(len(mono) <= 1 for _, mono in terms):  # linear: the common case
        constant = sum(coef for coef, mono in terms if not mono)
        linear = tuple((coef, mono[0]) for coef, mono in terms if mono)

        def value(values: list) -> Any:
            total = constant
            for coef, symbol in linear:
                total += coef * values[symbol]
            return total
        return value

    def value(values: list) -> Any:
        total = 0
        for coef, mono in terms:
            for symbol in mono:
                coef = coef * values[symbol]
            total += coef
        return total
    return value


def _poly(value: Any) -> dict | None:
    """``value`` as a polynomial in the traced symbols, or None when it is not an exact number."""
    if isinstance(value, (Traced, TracedRational)):
        return value.poly
    kind = type(value)
    if kind is int or kind is bool or kind is Fraction:
        return {(): value} if value else {}
    return None


def _plain(value: Any) -> Any:
    """The probe value of a traced value; anything else unchanged."""
    if isinstance(value, Traced):
        return int.__int__(value)
    if isinstance(value, TracedRational):
        return value.plain
    return value


def _bits(value: Any) -> int:
    """Bits of numerator plus denominator of an exact value (its size for numbers.MAX_BITS)."""
    if type(value) is int:
        return value.bit_length()
    return value.numerator.bit_length() + value.denominator.bit_length()


def _whole(value: Any) -> int:
    return value if type(value) is int else value.numerator // value.denominator


# ----------------------------------------------------------------------------- the tracer
class Tracer:
    """The symbols of a grid (shared by its builds) and the guards of the current build.

    Symbols 0 and 1 are the input height and width; then one symbol per traced parameter; then
    the roundings met in builds, each with a compiled rule computing it from earlier symbols.
    Values are computed per side and cached per key: the spatial side per input ``(h, w)``, the
    parameter side per tuple of parameter values. Every traced value carries its tracer, so there
    is no global state and builds in different threads do not meet.
    """

    def __init__(self, parameters: tuple[str, ...] = ()):
        self.parameters = tuple(parameters)
        self.rules: list[Callable | None] = [None] * (2 + len(self.parameters))
        self.sides: list[int] = [SPATIAL, SPATIAL] + [PARAMETER] * len(self.parameters)
        self.ids: dict[tuple, int] = {}
        self.tables: dict[tuple, list] = {}
        self.guards: set = set()
        self.sizes: tuple[int, int] = (0, 0)
        self.tainted = False

    # --- one build
    def begin(self) -> None:
        """Start a build: no guards yet, nothing untraceable seen."""
        self.guards, self.tainted, self.sizes = set(), False, (0, 0)

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

    def parameter(self, name: str, value: Any) -> Any:
        """The traced value of parameter ``name`` (an int or a rational) at the probe."""
        symbol = 2 + self.parameters.index(name)
        if type(value) is int:
            return _make(value, {(symbol,): 1}, self)
        return _rational(value, {(symbol,): 1}, self)

    def side(self, poly: dict) -> int:
        side = 0
        for mono in poly:
            for symbol in mono:
                side |= self.sides[symbol]
        return side

    def symbol(self, key: tuple, poly: dict, rule: Callable[..., Any], other: dict | None = None
               ) -> int:
        """The id of the symbol ``rule(poly)``, or ``rule(poly, other)`` (one id per key)."""
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.rules)
            argument = compile_poly(poly)
            if other is None:
                self.rules.append(lambda values: rule(argument(values)))
                self.sides.append(self.side(poly))
            else:
                second = compile_poly(other)
                self.rules.append(lambda values: rule(argument(values), second(values)))
                self.sides.append(self.side(poly) | self.side(other))
        return found

    def rounded(self, value: Any, poly: dict, function: Callable, *args: Any) -> Any:
        """``function(value, *args)`` as a new int symbol (args must be plain numbers)."""
        result = function(_plain(value), *args)
        if type(result) is not int or not all(a is None or type(a) in (int, Fraction)
                                                  for a in args):
            self.taint()
            return result
        key = (function, tuple(sorted(poly.items())), args)
        if args:
            def rule(v, function=function, args=args):
                return function(numbers.normalize(v), *args)
        else:
            rule = function
        return _make(result, {(self.symbol(key, poly, rule),): 1}, self)

    def guard(self, poly: dict, op: str, outcome: bool) -> None:
        self.guards.add((tuple(sorted(poly.items())), op, outcome))

    def nonzero(self, mono: tuple, outcome: bool) -> None:
        """``monomial == 0`` came out ``outcome``: a product is non-zero when every factor is,
        so that case is one guard per symbol (each on one side, checked once per side)."""
        if outcome:
            self.guards.add((((mono, 1),), "==", True))
        else:
            for symbol in set(mono):
                self.guards.add(((((symbol,), 1),), "==", False))

    def note_size(self, poly: dict) -> None:
        """Remember a bound for the bits of this value at any point (numbers.too_big checks it)."""
        coef_bits = sum(_bits(c) for c in poly.values()) + len(poly)
        degree = len(poly) * max((len(m) for m in poly), default=0)
        self.sizes = (max(self.sizes[0], coef_bits), max(self.sizes[1], degree))

    # --- values at points
    def values(self, side: int, key: tuple) -> list:
        """Every symbol of ``side`` at ``key`` (``(h, w)`` or the parameter values); the other
        sides' entries are None, and so is a symbol whose rule fails there."""
        known = self.tables.get((side, key))
        if known is None:
            known = self.tables[(side, key)] = (list(key) + [None] * len(self.parameters)
                                                if side == SPATIAL else
                                                [None, None, *getattr(key, "values", key)])
        if len(known) < len(self.rules):
            rules, sides = self.rules, self.sides
            for index in range(len(known), len(rules)):
                value = None
                if sides[index] == side:
                    try:
                        value = rules[index](known)
                    except (ArithmeticError, TypeError, ValueError):
                        value = None  # outside this symbol's domain: no structure using it applies
                known.append(value)
        return known

    def mixed(self, spatial: list, parameter: list) -> list:
        """Every symbol at one point, those depending on both sides included."""
        known = [p if s is None else s for s, p in zip(spatial, parameter)]
        for index in range(len(known), len(self.rules)):
            known.append(None)
        for index, side in enumerate(self.sides):
            if side == SPATIAL | PARAMETER:
                try:
                    known[index] = self.rules[index](known)
                except (ArithmeticError, TypeError, ValueError):
                    known[index] = None
        return known


_HOLDS = {"==": lambda v: v == 0, "<": lambda v: v < 0, "<=": lambda v: v <= 0,
          "whole": lambda v: type(v) is int or v.denominator == 1}


def _make(value: int, poly: dict, tracer: Tracer) -> Any:
    if not poly or (len(poly) == 1 and () in poly):
        return value
    dim = _new_int(Traced, value)
    dim.poly = poly
    dim.tracer = tracer
    return dim


def _rational(value: Fraction, poly: dict, tracer: Tracer) -> Any:
    if not poly or (len(poly) == 1 and () in poly):
        return value
    result = Fraction.__new__(TracedRational, value)
    result.plain, result.poly, result.tracer, result.seen = value, poly, tracer, None
    return result


def _primitive(diff: dict) -> dict:
    """``diff`` scaled by a positive rational to coprime integer coefficients (same sign)."""
    den = math.lcm(*(Fraction(c).denominator for c in diff.values()))
    scaled = {m: int(c * den) for m, c in diff.items()}
    divisor = math.gcd(*scaled.values())
    return {m: c // divisor for m, c in scaled.items()}


def _guard(tracer: Tracer, a: Any, b: Any, op: str, outcome: bool) -> bool:
    """Record that ``a op b`` came out ``outcome`` (ops: ==, <, <=; > and >= arrive swapped)."""
    pa, pb = _poly(a), _poly(b)
    if pa is None or pb is None:
        if isinstance(a, (float, complex)) or isinstance(b, (float, complex)):
            tracer.taint()
        return outcome
    diff = _add(pa, pb, -1)
    if not diff or (len(diff) == 1 and () in diff):
        return outcome
    if op == "==" and len(diff) == 1:
        tracer.nonzero(next(iter(diff)), outcome)  # c * monomial == 0 exactly when monomial == 0
        return outcome
    tracer.guard(_primitive(diff), op, outcome)
    return outcome


_COMPARE = {"==": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


def _compare(self, other, op: str, swap: bool):
    """A comparison of a traced value with ``other``, recorded as a guard."""
    if _poly(other) is None:
        if isinstance(other, (float, complex)):
            self.tracer.taint()
        return NotImplemented
    a, b = (_plain(other), _plain(self)) if swap else (_plain(self), _plain(other))
    outcome = _COMPARE[op](a, b)
    if type(other) is int:
        # The same object against the same constant records the same guard: once is enough.
        seen = self.seen
        if seen is None:
            seen = self.seen = set()
        key = (op, swap, other)
        if key in seen:
            return outcome
        seen.add(key)
    if swap:
        return _guard(self.tracer, other, self, op, outcome)
    return _guard(self.tracer, self, other, op, outcome)


def _tainting(base: type, name: str):
    method = getattr(base, name)

    def tainted(self, *args):
        self.tracer.taint()
        return method(self.plain if base is Fraction else self, *args)

    tainted.__name__ = name
    return tainted


class _Compared:
    """What traced ints and rationals share: comparisons as guards, truth as ``!= 0``, and
    numbers.make_divisible's hook."""

    __slots__ = ()

    def __ne__(self, other):
        outcome = self.__eq__(other)
        return outcome if outcome is NotImplemented else not outcome

    def __lt__(self, other):
        return _compare(self, other, "<", False)

    def __le__(self, other):
        return _compare(self, other, "<=", False)

    def __gt__(self, other):
        return _compare(self, other, "<", True)

    def __ge__(self, other):
        return _compare(self, other, "<=", True)

    def __bool__(self):
        return not self.__eq__(0)

    def rounded(self, function: Callable, *args: Any) -> Any:
        """``function(self, *args)`` (numbers.make_divisible's hook) as a traced int."""
        return self.tracer.rounded(self, self.poly, function, *args)


# ----------------------------------------------------------------------------- traced ints
class Traced(_Compared, int):
    """An int that also knows, as a polynomial, how it follows from the traced inputs.

    Layer formulas run on it unchanged and get the true int; every comparison is recorded as a
    guard in its ``tracer``, every operation the polynomials cannot describe taints the build.
    """

    poly: dict
    tracer: Tracer
    seen: set | None = None

    def _rational(self) -> "TracedRational":
        return _rational(Fraction(int.__int__(self)), self.poly, self.tracer)

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
        if isinstance(other, Fraction):
            return self._rational() + other
        self.tracer.taint()
        return int.__add__(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Fraction):
            return self._rational() - other
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return int.__sub__(self, other)
        return _make(int.__sub__(self, other), _add(self.poly, po, -1), self.tracer)

    def __rsub__(self, other):
        if isinstance(other, Fraction):
            return other - self._rational()
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
            return _make(int.__mul__(self, other), _scale(self.poly, other), self.tracer)
        if isinstance(other, Traced):
            return _make(int.__mul__(self, other), _mul(self.poly, other.poly), self.tracer)
        if isinstance(other, Fraction):
            return self._rational() * other
        self.tracer.taint()
        return int.__mul__(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._rational() / other

    def __neg__(self):
        return _make(-int.__int__(self), _scale(self.poly, -1), self.tracer)

    def __pos__(self):
        return self

    def __abs__(self):
        return self if self >= 0 else -self

    def _divide(self, other, op):
        value = getattr(int, "__floordiv__" if op == "//" else "__mod__")(self, _plain(other))
        if isinstance(other, Traced):  # a depthwise conv's channels % groups: both traced
            rule = (lambda a, b: a // b) if op == "//" else (lambda a, b: a % b)
            key = (op, tuple(sorted(self.poly.items())), tuple(sorted(other.poly.items())))
            symbol = self.tracer.symbol(key, self.poly, rule, other.poly)
            return _make(value, {(symbol,): 1}, self.tracer)
        if type(other) is not int or other <= 0:
            self.tracer.taint()
            return value
        if other == 1:
            return self if op == "//" else 0
        rule = (lambda v, d=other: v // d) if op == "//" else (lambda v, d=other: v % d)
        key = (op, tuple(sorted(self.poly.items())), other)
        return _make(value, {(self.tracer.symbol(key, self.poly, rule),): 1}, self.tracer)

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

    def __eq__(self, other):
        if type(other) is int and other == 0 and len(self.poly) == 1:
            outcome = int.__eq__(self, 0)  # c * monomial == 0 exactly when the monomial is 0
            self.tracer.nonzero(next(iter(self.poly)), outcome)
            return outcome
        return _compare(self, other, "==", False)

    __hash__ = int.__hash__

    def __floor__(self):
        return self

    __ceil__ = __trunc__ = __floor__

    def __round__(self, ndigits=None):
        if ndigits is None or ndigits >= 0:
            return self
        self.tracer.taint()
        return int.__round__(self, ndigits)


    def too_big(self) -> bool:
        """numbers.too_big at the probe, remembering a bound for the other points."""
        self.tracer.note_size(self.poly)
        return int.bit_length(self) > numbers.MAX_BITS

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
        return 1


def _reflected_divide(op: str):
    method = getattr(int, "__rfloordiv__" if op == "//" else "__rmod__")

    def divide(self, other):
        value = method(self, other)
        if type(other) is not int:
            self.tracer.taint()
            return value
        if not other:
            return value
        # other // self, other % self: a number divided by a traced value
        rule = (lambda a, b: a // b) if op == "//" else (lambda a, b: a % b)
        key = (op, (((), other),), tuple(sorted(self.poly.items())))
        return _make(value, {(self.tracer.symbol(key, {(): other}, rule, self.poly),): 1},
                     self.tracer)
    return divide


Traced.__rfloordiv__ = _reflected_divide("//")
Traced.__rmod__ = _reflected_divide("%")

for _name in ("__rtruediv__", "__divmod__", "__rdivmod__", "__rpow__", "__invert__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
              "__rxor__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__", "bit_length",
              "bit_count", "to_bytes", "as_integer_ratio", "conjugate", "__complex__"):
    if hasattr(int, _name):
        setattr(Traced, _name, _tainting(int, _name))


# ----------------------------------------------------------------------------- traced rationals
class TracedRational(_Compared, Fraction):
    """A rational (``alpha``, ``in_channels * exp / cin``) that knows its polynomial.

    Arithmetic with numbers and traced values stays traced; rounding it (``make_divisible``,
    ``floor``, ``ceil``, ``round``, ``//``) gives a traced int; asking whether it is whole
    (``numbers.normalize`` reads the denominator) is a guard. Anything else (``int()``,
    ``float()``, ``Fraction(x)``, reading the numerator) taints the build.
    """

    __slots__ = ("plain", "poly", "tracer", "seen")

    def __add__(self, other):
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return self.plain + other
        return _rational(self.plain + _plain(other), _add(self.poly, po), self.tracer)

    __radd__ = __add__

    def __sub__(self, other):
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return self.plain - other
        return _rational(self.plain - _plain(other), _add(self.poly, po, -1), self.tracer)

    def __rsub__(self, other):
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return other - self.plain
        return _rational(_plain(other) - self.plain, _add(po, self.poly, -1), self.tracer)

    def __mul__(self, other):
        po = _poly(other)
        if po is None:
            self.tracer.taint()
            return self.plain * other
        return _rational(self.plain * _plain(other), _mul(self.poly, po), self.tracer)

    __rmul__ = __mul__

    def __truediv__(self, other):
        kind = type(other)
        if kind is int or kind is Fraction:
            value = self.plain / other  # ZeroDivisionError as the naive value would
            return _rational(value, _scale(self.poly, Fraction(1) / other), self.tracer)
        self.tracer.taint()
        return self.plain / _plain(other)

    def __floordiv__(self, other):
        kind = type(other)
        if (kind is int or kind is Fraction) and other > 0:
            return (self / other).__floor__()
        self.tracer.taint()
        return self.plain // _plain(other)

    def __mod__(self, other):
        kind = type(other)
        if (kind is int or kind is Fraction) and other > 0:
            return self - other * (self // other)
        self.tracer.taint()
        return self.plain % _plain(other)

    def __pow__(self, other, modulo=None):
        if modulo is None and type(other) is int and 0 <= other <= 8:
            result: Any = Fraction(1)
            for _ in range(other):
                result = self * result
            return result
        self.tracer.taint()
        return pow(self.plain, other, modulo)

    def __neg__(self):
        return _rational(-self.plain, _scale(self.poly, -1), self.tracer)

    def __pos__(self):
        return self

    def __abs__(self):
        return self if self >= 0 else -self

    def __floor__(self):
        return self.tracer.rounded(self, self.poly, math.floor)

    def __ceil__(self):
        return self.tracer.rounded(self, self.poly, math.ceil)

    def __trunc__(self):
        return self.tracer.rounded(self, self.poly, math.trunc)

    def __round__(self, ndigits=None):
        if ndigits is None:
            return self.tracer.rounded(self, self.poly, round)
        self.tracer.taint()
        return round(self.plain, ndigits)


    def integer(self) -> Any:
        """This whole value as an int (numbers.normalize's hook), after the guard that it is."""
        return self.tracer.rounded(self, self.poly, _whole)

    def too_big(self) -> bool:
        """numbers.too_big at the probe, remembering a bound for the other points."""
        self.tracer.note_size(self.poly)
        return numbers.too_big(self.plain)

    def __eq__(self, other):
        return _compare(self, other, "==", False)

    __hash__ = Fraction.__hash__

    @property
    def numerator(self):
        self.tracer.taint()
        return self.plain.numerator

    @property
    def denominator(self):
        whole = self.plain.denominator == 1
        self.tracer.guard(self.poly, "whole", whole)
        return self.plain.denominator

    def __reduce__(self):
        return (Fraction, (self.plain.numerator, self.plain.denominator))


for _name in ("__rtruediv__", "__rfloordiv__", "__rmod__", "__divmod__", "__rdivmod__",
              "__rpow__", "__int__", "__float__", "__complex__", "limit_denominator",
              "as_integer_ratio", "__copy__", "__deepcopy__"):
    if hasattr(Fraction, _name):
        setattr(TracedRational, _name, _tainting(Fraction, _name))


# ----------------------------------------------------------------------------- structures
class Structure:
    """One traced build: its guards split by side, its totals as closures, its channel count.

    ``totals(tracer, key, where)`` gives the totals at parameter values ``key`` and input
    ``where = (h, w)``, or None when a guard differs there (that point needs another build).
    Per parameter key it evaluates the guards and, for each total, one coefficient per spatial
    monomial; per input size the guards and the spatial monomials; a point is then one short
    dot product per total.
    """

    def __init__(self, tracer: Tracer, guards: set, totals: dict[str, Any], channels: int,
                 square: bool, sizes: tuple[int, int]):
        self.channels, self.square, self.sizes = channels, square, sizes
        self.names = tuple(totals)
        sides = tracer.sides
        split: dict[int, list] = {SPATIAL: [], PARAMETER: [], SPATIAL | PARAMETER: []}
        for items, op, outcome in guards:
            poly = dict(items)
            split[tracer.side(poly) or SPATIAL].append((compile_poly(poly), _HOLDS[op], outcome))
        self.guards = split
        self.polys = [totals[name] for name in self.names]
        if None in self.polys:
            raise TraceUnsupported("a total is not a count")
        self.mixed = bool(split[SPATIAL | PARAMETER]) or any(
            sides[s] == SPATIAL | PARAMETER for poly in self.polys for mono in poly for s in mono)
        monomials: dict[tuple, int] = {}
        coefficients = [_by_space(poly, sides, monomials) for poly in self.polys]
        self.monomials = [compile_poly({mono: 1}) for mono in monomials]
        self.coefficients = [[compile_poly(by_space.get(mono, {})) for mono in monomials]
                             for by_space in coefficients]
        self.by_parameters: dict[tuple, Any] = {}
        self.by_space: dict[tuple, Any] = {}

    def _holds(self, side: int, values: list) -> bool:
        try:
            for value, holds, outcome in self.guards[side]:
                if holds(value(values)) != outcome:
                    return False
        except TypeError:  # a symbol outside its domain here (None)
            return False
        return self.sizes[1] == 0 or \
            self.sizes[0] + self.sizes[1] * max((_bits(v) for v in values
                                                 if type(v) is int or type(v) is Fraction),
                                                default=0) <= numbers.MAX_BITS

    def parameter_part(self, tracer: Tracer, key: Any) -> Any:
        """Per total, the coefficient of each spatial monomial at parameter ``key`` (a hashable
        whose ``values`` are the parameter values); False when a guard differs there."""
        found = self.by_parameters.get(key)
        if found is None:
            found = self.by_parameters[key] = self._part(
                PARAMETER, tracer.values(PARAMETER, key),
                lambda values: [[c(values) for c in row] for row in self.coefficients])
        return found

    def spatial_part(self, tracer: Tracer, where: tuple) -> Any:
        """The spatial monomials at input ``where``; False when a guard differs there."""
        found = self.by_space.get(where)
        if found is None:
            found = self.by_space[where] = self._part(
                SPATIAL, tracer.values(SPATIAL, where),
                lambda values: [m(values) for m in self.monomials])
        return found

    def _part(self, side: int, values: list, compute: Callable[[list], list]) -> Any:
        if not self._holds(side, values):
            return False
        try:
            return compute(values)
        except TypeError:  # a symbol outside its domain here (None)
            return False

    def totals(self, tracer: Tracer, key: Any, where: tuple, coefficients: Any = None
               ) -> tuple | None:
        if coefficients is None:
            coefficients = self.parameter_part(tracer, key)
        if coefficients is False:
            return None
        monomials = self.spatial_part(tracer, where)
        if monomials is False:
            return None
        if self.mixed:
            return self._mixed_totals(tracer, key, where)
        return tuple(sum(map(mul, row, monomials)) for row in coefficients)

    def _mixed_totals(self, tracer: Tracer, key: tuple, where: tuple) -> tuple | None:
        """A structure with symbols of both sides: every polynomial evaluated at the point."""
        values = tracer.mixed(tracer.values(SPATIAL, where), tracer.values(PARAMETER, key))
        if not self._holds(SPATIAL | PARAMETER, values):
            return None
        try:
            return tuple(compile_poly(poly)(values) for poly in self.polys)
        except TypeError:
            return None


def _by_space(poly: dict, sides: list[int], monomials: dict[tuple, int]) -> dict:
    """``poly`` as {spatial monomial: polynomial in the parameter symbols}; every spatial
    monomial met is numbered in ``monomials`` (mixed symbols count as spatial here)."""
    by_space: dict[tuple, dict] = {}
    for mono, coef in poly.items():
        space = tuple(s for s in mono if sides[s] != PARAMETER)
        rest = tuple(s for s in mono if sides[s] == PARAMETER)
        monomials.setdefault(space, len(monomials))
        by_space.setdefault(space, {})[rest] = coef
    return by_space


def total_poly(value: Any) -> dict | None:
    """A traced total as a polynomial with integer coefficients (None if it is not a count)."""
    if isinstance(value, Traced):
        return value.poly
    if type(value) is int:
        return {(): value} if value else {}
    return None
