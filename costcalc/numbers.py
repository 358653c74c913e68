"""Exact numbers: the type test, decimal parsing, the rounding functions (on ints, Fractions and
sympy expressions) and every rule for showing a number as text or JSON.

Nothing here is ever a float on the numeric path: ``0.35`` is the rational 7/20. The rounding
functions accept sympy expressions too, and there they are the identity, which is what the closed
forms in ``alpha``/``rho``/``t`` mean by *ideal* channel counts.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any


def is_exact(value: Any) -> bool:
    """True for the exact numeric types (int, Fraction); bool is not a number here."""
    kind = type(value)
    if kind is int or kind is Fraction:  # the common case, without isinstance
        return True
    return isinstance(value, (int, Fraction)) and kind is not bool


def normalize(value: Any) -> Any:
    """A Fraction with denominator 1 becomes an int; everything else is returned unchanged."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def exact_number(text: str) -> int | Fraction:
    """Parse a decimal literal exactly (``'0.35'`` -> 7/20)."""
    value = Fraction(text)
    return normalize(value)


def is_symbolic(*values: Any) -> bool:
    """True when any value is a sympy expression (not an exact number, bool or text)."""
    return any(not is_exact(v) and not isinstance(v, (bool, str)) for v in values)


def make_divisible(value, divisor=8, min_value=None):
    """TF/torchvision channel rounding: nearest multiple of ``divisor``, never below 90 % of ``value``."""
    if is_symbolic(value, divisor):
        return value
    if min_value is None:
        min_value = divisor
    if type(divisor) is int and type(value) in (int, Fraction):
        # the same rule in integer arithmetic: floor(v + d/2) = (2 num + d den) // (2 den)
        num, den = value.numerator, value.denominator
        new_value = max(min_value, (2 * num + divisor * den) // (2 * den) // divisor * divisor)
        if 10 * new_value * den < 9 * num:
            new_value += divisor
        return new_value if type(new_value) is int else normalize(Fraction(new_value))
    new_value = max(min_value, math.floor(value + Fraction(divisor, 2)) // divisor * divisor)
    if new_value < Fraction(9, 10) * value:
        new_value += divisor
    return normalize(Fraction(new_value))


def round_value(value, ndigits=None):
    if is_symbolic(value):
        return value
    if ndigits is None:
        return round(Fraction(value))
    return normalize(round(Fraction(value), ndigits))


def floor(value):
    return value if is_symbolic(value) else math.floor(value)


def ceil(value):
    return value if is_symbolic(value) else math.ceil(value)


def trunc(value):
    return value if is_symbolic(value) else math.trunc(value)


def show_value(value: Any) -> str:
    """A value as an error message shows it: true/false, 'text', 0.75, nothing."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value)
    if is_exact(value):
        return format_number(value)
    return str(value)


def json_value(value: Any) -> Any:
    """An exact number as JSON: decimals as numbers (0.5), other rationals as text ("1/3")."""
    if isinstance(value, Fraction):
        shown = format_number(value)
        return float(shown) if "/" not in shown else shown
    return value


def format_number(value: Any) -> str:
    """Show an exact number the way a user wrote it (3/4 -> 0.75, 7/3 -> 7/3)."""
    value = normalize(value)
    if isinstance(value, Fraction):
        den = value.denominator
        while den % 2 == 0:
            den //= 2
        while den % 5 == 0:
            den //= 5
        if den == 1:
            return str(float(value)) if abs(value) < 10**15 else str(value)
        return str(value)
    return str(value)
