"""Indented JSON text, byte for byte what ``json.dumps(numbers.json_tree(value), indent=2)`` writes.

The standard library encodes indented output with its pure-Python encoder (its C encoder only
writes unindented text), through a generator per nesting level: for a report of 100,000 layers
that is most of the run and a list of millions of pieces. This writer walks the value once,
turning exact numbers into JSON values as ``numbers.json_tree`` does, encodes text with the
standard library's C string encoder, and joins each container's pieces as soon as it is done.
``tests/test_render.py`` compares it with ``json.dumps`` on a table of values.
"""
from __future__ import annotations

from fractions import Fraction
from json.encoder import encode_basestring_ascii as _text
from typing import Any

from costcalc import numbers

_INDENT = "  "


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A mapping key as json.dumps writes it (text; numbers, booleans and null as text)."""
    if isinstance(key, str):
        return _text(key)
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, float):
        return _text(_float(key))
    if isinstance(key, int):
        return _text(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _scalar(value: Any) -> str | None:
    """The JSON text of a value that is not a container, after ``json_tree``; None for a list
    or a mapping."""
    if isinstance(value, str):
        return _text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Fraction):
        return _scalar(numbers.json_value(value))
    if isinstance(value, (list, tuple, dict)):
        return None
    return _text(str(value))


# Exact types written directly (the common cells: names, counts, shares); anything else goes
# through _scalar's checks (subclasses, Fractions, unknown objects).
_DIRECT = {str: _text, int: int.__repr__, float: _float, bool: _scalar, type(None): _scalar}


def _encode(value: Any, newline: str) -> str:
    """``value`` as JSON text whose nested lines start with ``newline`` + one more indent."""
    direct = _DIRECT.get(type(value))
    if direct is not None:
        return direct(value)
    text = _scalar(value)
    if text is not None:
        return text
    inner = newline + _INDENT
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for key, item in value.items():
            direct = _DIRECT.get(type(item))
            items.append((_text(key) if type(key) is str else _key(key)) + ": "
                         + (direct(item) if direct is not None else _encode(item, inner)))
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if not value:
        return "[]"
    if all(type(item) is int for item in value):  # shapes, index lists: the common case
        return "[" + inner + ("," + inner).join(map(int.__repr__, value)) + newline + "]"
    return "[" + inner + ("," + inner).join([_encode(v, inner) for v in value]) + newline + "]"


def dumps(value: Any) -> str:
    """``json.dumps(numbers.json_tree(value), indent=2)``, several times faster."""
    return _encode(value, "\n")
