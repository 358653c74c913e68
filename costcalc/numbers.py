"""Exact numbers: reading literals from their text, the rounding functions, and every rule for
showing a number as text or JSON.

Number literals are read from their text as exact rationals of bounded size (never through a
float). Every number a user writes (a YAML value, a literal inside an expression, a command-line
value, a convention weight) is parsed here, so ``0.499999999999999999`` is that rational
everywhere and never 0.5. Sizes are bounded before any big arithmetic: a literal has at most
MAX_DIGITS digits, its exponent is checked before any power of ten is computed, and every exact
value (literal or computed) keeps numerator and denominator within MAX_BITS bits, which also
keeps every printed number far below Python's 4,300-digit int-to-text limit.

The rounding functions (``make_divisible``, ``round``, ``floor``, ``ceil``, ``int``) accept sympy
expressions too, and there they are the identity, which is what the closed forms in
``alpha``/``rho``/``t`` mean by *ideal* channel counts.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

MAX_DIGITS = 1000
MAX_BITS = 4096
MAX_SHIFT = MAX_DIGITS + 1234  # 10**1234 > 2**4096: a larger shift cannot give a value in range

# Decimal literals, the form shared by YAML values and expressions: 1, -2, 0.35, .5, 7., 1e5,
# 1.5E-3, 1_000.
DECIMAL = re.compile(
    r"(?P<sign>[-+]?)(?:(?P<int>[0-9][0-9_]*)(?:\.(?P<frac>[0-9_]*))?|\.(?P<frac2>[0-9][0-9_]*))"
    r"(?:[eE](?P<exp>[-+]?[0-9][0-9_]*))?")
# Python's other integer bases (also accepted in YAML so both read the same text alike).
BASED = re.compile(r"(?P<sign>[-+]?)0(?P<base>[xXoObB])_?(?P<digits>[0-9a-fA-F][0-9a-fA-F_]*)")
# YAML 1.1 integers that read differently elsewhere: 010 is 8 in YAML 1.1 and 10 in YAML 1.2,
# 1:30 is 90 (base 60). Both are refused rather than guessed.
LEADING_ZERO = re.compile(r"[-+]?0[0-9_]*[0-9][0-9_]*")
SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_BASES = {"x": 16, "o": 8, "b": 2}


class LiteralError(ValueError):
    """A number literal that is malformed, ambiguous or too large; the message names why."""


def cut(text: str) -> str:
    """``text`` cut to a readable length for an error message."""
    return text if len(text) <= 40 else text[:20] + "..."


def shown(text: str) -> str:
    """A literal quoted for an error message, cut to a readable length."""
    return repr(cut(text))


def looks_numeric(text: str) -> bool:
    """True if a plain YAML scalar is meant as a number (or a YAML 1.1 number costcalc refuses)."""
    if not text or text[0] not in "0123456789+-.":
        return False
    return any(pattern.fullmatch(text) for pattern in (DECIMAL, BASED, SEXAGESIMAL, NOT_FINITE))


def parse(text: str) -> int | Fraction:
    """The exact value of a number literal: an int, or a Fraction when it is not whole.

    Raises LiteralError for text that is not a literal, is not finite, is ambiguous (010,
    1:30), has more than MAX_DIGITS digits or is larger or finer than MAX_BITS bits allow.
    """
    match = DECIMAL.fullmatch(text)
    if match:
        if LEADING_ZERO.fullmatch(text):
            raise LiteralError(f"number {shown(text)} has a leading zero{_octal(text)}: "
                               "write it as a plain decimal")
        return _decimal(text, match)
    match = BASED.fullmatch(text)
    if match:
        digits = match["digits"].replace("_", "")
        if len(digits) > MAX_DIGITS:
            raise LiteralError(f"number {shown(text)} has more than {MAX_DIGITS} digits")
        try:
            value = int(digits, _BASES[match["base"].lower()])
        except ValueError:
            raise LiteralError(f"{shown(text)} is not a number") from None
        return checked(-value if match["sign"] == "-" else value, text)
    if SEXAGESIMAL.fullmatch(text):
        raise LiteralError(f"number {shown(text)} is base 60 in YAML 1.1{_base60(text)}: write it "
                           "as a plain decimal")
    if NOT_FINITE.fullmatch(text):
        raise LiteralError(f"number {shown(text)} is not finite")
    raise LiteralError(f"{shown(text)} is not a number")


def _octal(text: str) -> str:
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > 40 or "8" in digits or "9" in digits:
        return ""
    return f", which YAML 1.1 reads as octal {'-' if text.startswith('-') else ''}{int(digits, 8)}"


def _base60(text: str) -> str:
    """`` (90)`` for ``1:30``; nothing for a long or fractional one (their value is not shown)."""
    if len(text) > 40 or "." in text:
        return ""
    value = 0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        value = value * 60 + int(part)
    return f" ({'-' if text.startswith('-') else ''}{value})"


def _decimal(text: str, match: re.Match) -> int | Fraction:
    whole = (match["int"] or "").replace("_", "")
    frac = (match["frac"] or match["frac2"] or "").replace("_", "")
    digits = (whole + frac).lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise LiteralError(f"number {shown(text)} has more than {MAX_DIGITS} digits")
    exponent = (match["exp"] or "0").replace("_", "")
    if len(exponent.lstrip("+-").lstrip("0")) > 6:
        raise out_of_range(text)
    mantissa = int(whole + frac or "0")
    if mantissa == 0:
        return 0
    shift = int(exponent) - len(frac)
    # mantissa * 10**shift stays cheap to compute when |shift| is bounded; its size is then checked
    if abs(shift) > MAX_SHIFT:
        raise out_of_range(text)
    value = Fraction(mantissa) * Fraction(10) ** shift
    if match["sign"] == "-":
        value = -value
    return checked(value, text)


def too_big(value: int | Fraction) -> bool:
    """True if the numerator or denominator of an exact value is longer than MAX_BITS bits."""
    kind = type(value)
    if kind is int:
        return value.bit_length() > MAX_BITS
    if kind is not Fraction and hasattr(value, "too_big"):
        return value.too_big()  # a traced value (costing.tracing) also bounds its other points
    return value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS


def checked(value: int | Fraction, text: str) -> int | Fraction:
    """``value`` as an int when whole, after checking its size (LiteralError if too big)."""
    if too_big(value):
        raise out_of_range(text)
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def out_of_range(text: str) -> LiteralError:
    return LiteralError(f"number {shown(text)} is out of range (numerator or denominator over "
                        f"{MAX_BITS} bits)")


# ----------------------------------------------------------------------------- exact values

def is_exact(value: Any) -> bool:
    """True for the exact numeric types (int, Fraction); bool is not a number here."""
    kind = type(value)
    if kind is int or kind is Fraction:  # the common case, without isinstance
        return True
    return isinstance(value, (int, Fraction)) and kind is not bool


def normalize(value: Any) -> Any:
    """A Fraction with denominator 1 becomes an int; everything else is returned unchanged."""
    if type(value) is int:  # the common case: isinstance against Fraction (an ABC) costs more
        return value
    if isinstance(value, Fraction) and value.denominator == 1:
        # a traced rational (costing.tracing) becomes a traced int, keeping what it follows from
        return int(value) if type(value) is Fraction else value.integer()
    return value


def exact_number(text: str) -> int | Fraction:
    """Parse a number literal exactly (``'0.35'`` -> 7/20); LiteralError if it is not one."""
    return parse(text)


# ----------------------------------------------------------------------------- rounding functions
# Each works on exact numbers and, for the closed forms, on sympy expressions (ideal rounding).

def is_symbolic(*values: Any) -> bool:
    """True when any value is a sympy expression (not an exact number, bool or text)."""
    for v in values:
        kind = type(v)
        if kind is int or kind is Fraction or kind is str or kind is bool:
            continue  # the common cases, without isinstance against Fraction (an ABC)
        if not is_exact(v) and not isinstance(v, (bool, str)):
            return True
    return False


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
    traced = getattr(value, "rounded", None)
    if traced is not None:  # a traced value (costing.tracing): the rounding becomes a symbol
        return traced(make_divisible, divisor, min_value)
    new_value = max(min_value, math.floor(value + Fraction(divisor, 2)) // divisor * divisor)
    if new_value < Fraction(9, 10) * value:
        new_value += divisor
    return normalize(Fraction(new_value))


def round_value(value, ndigits=None):
    if is_symbolic(value):
        return value
    if ndigits is None:
        return round(value if isinstance(value, (int, Fraction)) else Fraction(value))
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
    """An exact number as JSON: a decimal as a JSON number when the float a JSON reader makes of
    it reads back as the same rational (0.5, 0.1), otherwise as text ("1/3",
    "0.499999999999999999", which a float would turn into 0.5)."""
    if isinstance(value, Fraction):
        shown = format_number(value)
        if "/" not in shown and Fraction(repr(float(shown))) == value:
            return float(shown)
        return shown
    return value


def json_tokens(shape: Any) -> dict:
    """The JSON keys beside a shape's ``output`` list: for a tensor of tokens, ``"tokens":
    [N, D]`` (N tokens of width D), since its ``output`` [D, H, W] reads like a map's [C, H, W];
    nothing for a map."""
    if getattr(shape, "tokens", False):
        return {"tokens": [shape.h * shape.w, shape.c]}
    return {}


def format_number(value: Any) -> str:
    """Show an exact number the way a user writes it: 3/4 -> 0.75 (every digit), 7/3 -> 7/3."""
    value = normalize(value)
    if isinstance(value, Fraction):
        return decimal_text(value) or str(value)
    return str(value)


def decimal_text(value: Any, min_places: int = 0) -> str | None:
    """The exact decimal text of a rational whose denominator is 2^a 5^b (every digit, at least
    ``min_places`` after the point), else None: 3/4 -> 0.75, 3 -> 3.0 with one place."""
    value = Fraction(value)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return None
    places = max(twos, fives, min_places)
    if places == 0:
        return str(value.numerator)
    digits = str(abs(value.numerator) * 10**places // value.denominator).rjust(places + 1, "0")
    return ("-" if value < 0 else "") + digits[:-places] + "." + digits[-places:]


# ----------------------------------------------------------------------------- text and JSON rules
# Every way costcalc writes a number: exact text, rounded text for readers, JSON values.

_SCALES = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


def exact_text(value: Any) -> str:
    """An exact number as text, sympy rationals included: 0.75, 7/3, 224; anything else as str."""
    if getattr(value, "is_Rational", False):
        value = Fraction(int(value.p), int(value.q))
    if isinstance(value, (int, Fraction)):
        return format_number(value)
    return str(value)


def param_text(value: Any) -> str:
    """A parameter value as a user writes it: 0.75, 224, true, tf."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_exact(value):
        return format_number(value)
    return str(value)


def significant(value: Any, digits: int = 4) -> str:
    """A rounded reading: ``digits`` significant digits of the float nearest ``value``."""
    return f"{float(value):.{digits}g}"


def fixed(value: Any, places: int) -> str:
    """A rounded reading with ``places`` digits after the point."""
    return f"{float(value):.{places}f}"


def percent(value: Any, places: int = 2) -> str:
    """A share already in percent: 12.3456 -> '12.35%'."""
    return fixed(value, places) + "%"


def human(value: Any, spec: str = ".2f") -> str:
    """A count with a K/M/G/T suffix, 300774272 -> '300.77M' (``spec`` formats the mantissa);
    ints below 1000 unchanged."""
    for factor, suffix in _SCALES:
        if abs(value) >= factor:
            return f"{value / factor:{spec}}{suffix}"
    return str(value) if isinstance(value, int) else format(value, spec)


def exact_human(count: int) -> str:
    """A count with a suffix, every digit kept: 300000000 -> '300M', 300774272 -> '300774.272K'."""
    for factor, suffix in _SCALES:
        if count >= factor and count % (factor // 1000 or 1) == 0:
            return f"{format_number(Fraction(count, factor))}{suffix}"
    return str(count)


def near_text(value: Any, digits: int) -> str:
    """Exact decimal text where there is one (0.35), else ``digits`` significant digits (1/3)."""
    text = exact_text(value)
    return text if "/" not in text else significant(value, digits)


def short_text(value: Any, digits: int) -> str:
    """A rational as ``digits`` significant digits when those are exactly it (0.75), else ``p/q``
    (7/3); whole numbers as integers."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        text = significant(value, digits)
        return text if Fraction(text) == value else f"{value.numerator}/{value.denominator}"
    return str(value)


def rounded(value: float, digits: int = 4) -> Fraction:
    """A measured float cut to ``digits`` significant digits, exact from there on."""
    if value == 0:
        return Fraction(0)
    return Fraction(significant(value, digits))


def json_rational(value: Any) -> Any:
    """An exact number for JSON that sympify reads back: an int when whole, else ``"p/q"``."""
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def json_tree(value: Any) -> Any:
    """Nested table data as JSON values: numbers by ``json_value``, unknown objects as text."""
    if isinstance(value, Fraction):
        return json_value(value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [json_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: json_tree(v) for k, v in value.items()}
    return str(value)


TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")


def truth(text: str) -> bool | None:
    """A command-line true/false word (``yes``, ``off``, ``1``...) as a bool; None for other text."""
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None
