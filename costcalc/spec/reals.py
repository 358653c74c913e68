"""Exact work with irrational values in spec expressions: sqrt, log and exp of exact numbers.

An irrational result is a ``Real``: a value known through rational intervals that enclose it
and shrink as the precision asks. It never becomes a float. It can be added, subtracted,
multiplied and divided with numbers and other Reals, and it leaves an expression only through
``floor``, ``ceil``, ``round`` or ``int``, which refine the interval until the integer is
certain. Refinement is bounded (``MAX_PRECISION`` bits); a value too close to a rounding
boundary to decide within it is refused, never guessed. Results that are exact stay exact:
``sqrt(9 / 4)`` is 3/2, ``log(8, 2)`` is 3, ``exp(0)`` is 1.
"""
from __future__ import annotations

import decimal
import math
from fractions import Fraction

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Callable

from costcalc.numbers import is_exact, normalize

MAX_PRECISION = 2048  # bits of the narrowest interval refinement may ask for
MAX_EXP = 1000  # |x| of exp(x): e^1000 already has over 1400 bits


class RealError(ValueError):
    """A Real that cannot be computed or decided within the bounds."""


Interval = tuple[Fraction, Fraction]


class Real:
    """An irrational number: ``interval(bits)`` encloses it within about 2^-bits."""

    def __init__(self, interval: Callable[[int], Interval], text: str):
        self._interval = interval
        self.text = text

    def interval(self, bits: int) -> Interval:
        return self._interval(bits)

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    # -- arithmetic: interval arithmetic on both operands at a little more precision
    def _combine(self, other: Any, op: Callable[[Interval, Interval], Interval],
                 symbol: str, reverse: bool = False) -> Real:
        if isinstance(other, bool) or not (is_exact(other) or isinstance(other, Real)):
            return NotImplemented
        right = other if isinstance(other, Real) else exact_real(other)
        left, right = (right, self) if reverse else (self, right)
        text = f"({left} {symbol} {right})"
        return Real(lambda bits: op(left.interval(bits + 8), right.interval(bits + 8)), text)

    def __add__(self, other): return self._combine(other, _add, "+")
    def __radd__(self, other): return self._combine(other, _add, "+", True)
    def __sub__(self, other): return self._combine(other, _sub, "-")
    def __rsub__(self, other): return self._combine(other, _sub, "-", True)
    def __mul__(self, other): return self._combine(other, _mul, "*")
    def __rmul__(self, other): return self._combine(other, _mul, "*", True)
    def __truediv__(self, other): return self._combine(other, _div, "/")
    def __rtruediv__(self, other): return self._combine(other, _div, "/", True)

    def __neg__(self) -> Real:
        return Real(lambda bits: _neg(self.interval(bits)), f"-{self}")

    def __pos__(self) -> Real:
        return self

    # -- leaving the reals: decided integers
    def decide(self, rule: Callable[[Fraction], int], what: str) -> int:
        """``rule`` (floor, ceil, round...) of the value, once both interval ends agree."""
        bits = 32
        while bits <= MAX_PRECISION:
            lo, hi = self.interval(bits)
            if rule(lo) == rule(hi):
                return rule(lo)
            bits *= 2
        raise RealError(f"{what}({self}) cannot be decided: the value is within 2^-"
                        f"{MAX_PRECISION} of a rounding boundary (write the exact form)")


def _add(a: Interval, b: Interval) -> Interval:
    return a[0] + b[0], a[1] + b[1]


def _sub(a: Interval, b: Interval) -> Interval:
    return a[0] - b[1], a[1] - b[0]


def _neg(a: Interval) -> Interval:
    return -a[1], -a[0]


def _mul(a: Interval, b: Interval) -> Interval:
    products = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(products), max(products)


def _div(a: Interval, b: Interval) -> Interval:
    if b[0] <= 0 <= b[1]:
        raise RealError("division by a value too close to zero to decide")
    return _mul(a, (1 / b[1], 1 / b[0]))


def exact_real(value: Any) -> Real:
    value = Fraction(value)
    return Real(lambda bits: (value, value), str(normalize(value)))


def rounded(value: Any, rule: Callable[[Fraction], int], what: str) -> Any:
    """floor/ceil/round/int of an exact number or a Real, as an exact integer."""
    return value.decide(rule, what) if isinstance(value, Real) else value


# ----------------------------------------------------------------------------- functions
def sqrt(value: Any) -> Any:
    """Exact square root when the value is a rational square, else a Real."""
    if isinstance(value, Real):
        raise RealError("sqrt() of an irrational value is not supported; round it first")
    value = Fraction(value)
    if value < 0:
        raise RealError("sqrt() of a negative number")
    num, den = value.numerator, value.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return normalize(Fraction(rn, rd))

    def interval(bits: int) -> Interval:
        # floor(sqrt(v * 4^bits)) / 2^bits <= sqrt(v) < (that + 1) / 2^bits
        root = math.isqrt(num * 4 ** bits // den)
        return Fraction(root, 2 ** bits), Fraction(root + 1, 2 ** bits)

    return Real(interval, f"sqrt({normalize(value)})")


def _digits(bits: int) -> int:
    return bits * 30103 // 100000 + 12  # decimal digits for 2^-bits, with a margin


def _widen(result: decimal.Decimal, digits: int) -> Interval:
    """The interval one unit in the last place either side of a correctly rounded ``result``
    (computed on Fractions: Decimal arithmetic would round again)."""
    ulp = Fraction(1, 10 ** (digits - 1 - result.adjusted())) if result.adjusted() < digits - 1 \
        else Fraction(10 ** (result.adjusted() - digits + 1))
    return Fraction(result) - ulp, Fraction(result) + ulp


def _ln_integer(n: int, bits: int) -> Interval:
    """Bounds of ln(n), n >= 1: Decimal.ln is correctly rounded, so within one unit in the
    last place of its result."""
    if n == 1:
        return Fraction(0), Fraction(0)
    context = decimal.Context(prec=_digits(bits) + len(str(n)) // 3)
    result = decimal.Decimal(n).ln(context)
    return _widen(result, context.prec)


def _ln(value: Fraction) -> Real:
    if value <= 0:
        raise RealError("log() of a number that is not positive")

    def interval(bits: int) -> Interval:
        return _sub(_ln_integer(value.numerator, bits + 4),
                    _ln_integer(value.denominator, bits + 4))

    return Real(interval, f"log({normalize(value)})")


def log(value: Any, base: Any = None) -> Any:
    """Natural logarithm, or log to ``base``: exact when the value is an integer power of the
    base (``log(8, 2)`` = 3, ``log(1)`` = 0), else a Real."""
    if isinstance(value, Real) or isinstance(base, Real):
        raise RealError("log() of an irrational value is not supported; round it first")
    value = Fraction(value)
    if value <= 0:
        raise RealError("log() of a number that is not positive")
    if value == 1:
        return 0
    if base is None:
        return _ln(value)
    base = Fraction(base)
    if base <= 0 or base == 1:
        raise RealError("log() base must be positive and not 1")
    ratio = _ln(value) / _ln(base)
    lo, hi = ratio.interval(64)
    guess = round((lo + hi) / 2)
    size = max(base.numerator.bit_length(), base.denominator.bit_length())
    if abs(guess) * size <= 2 * MAX_PRECISION and base ** guess == value:
        return guess  # an exact power: the logarithm is that whole number
    return Real(ratio.interval, f"log({normalize(value)}, {normalize(base)})")


def exp(value: Any) -> Any:
    """e^x: exactly 1 at 0, else a Real (|x| at most MAX_EXP)."""
    if isinstance(value, Real):
        raise RealError("exp() of an irrational value is not supported; round it first")
    value = Fraction(value)
    if value == 0:
        return 1
    if abs(value) > MAX_EXP:
        raise RealError(f"exp() of a number beyond +-{MAX_EXP}")

    def interval(bits: int) -> Interval:
        # exp is increasing: bound x by decimals, then each exp within one ulp
        digits = _digits(bits) + 450  # e^1000 ~ 10^434: keep relative precision
        context = decimal.Context(prec=digits)
        scaled = value.numerator * 10 ** digits // value.denominator  # floor(x 10^digits)
        # x lies in [scaled, scaled + 1] / 10^digits; both ends are exact decimals
        lo_x = decimal.Decimal((0 if scaled >= 0 else 1, tuple(map(int, str(abs(scaled)))),
                                -digits))
        hi_x = decimal.Decimal((0 if scaled + 1 >= 0 else 1,
                                tuple(map(int, str(abs(scaled + 1)))), -digits))
        return _widen(lo_x.exp(context), digits)[0], _widen(hi_x.exp(context), digits)[1]

    return Real(interval, f"exp({normalize(value)})")
