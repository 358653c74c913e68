"""Indented JSON text, byte for byte what ``json.dumps(numbers.json_tree(value), indent=2)`` writes.

The standard library encodes indented output with its pure-Python encoder (its C encoder only
writes unindented text), through a generator per nesting level: for a report of 100,000 layers
that is most of the run and a list of millions of pieces. This writer walks the value once,
turning exact numbers into JSON values as ``numbers.json_tree`` does, encodes text with the
standard library's C string encoder, and joins each container's pieces as soon as it is done.
``tests/test_json_text.py`` compares it with ``json.dumps`` on a table of values.

``pieces`` gives the same text in pieces, a ``Chunks`` list (a report's layers) a piece of
items at a time, so a command writes a large report without holding all of it.
"""
from __future__ import annotations

import math
from fractions import Fraction
from json.encoder import encode_basestring_ascii as _text
from operator import itemgetter
from typing import Any

from costcalc import numbers

_INDENT = "  "


class Chunks:
    """A long list of ``Table.data`` made piece by piece: ``len(items)`` items, ``make(item)``
    each, made in order. ``pieces`` writes it a piece at a time instead of holding every item
    (a report of 100,000 layers); it reads like a list otherwise."""

    __slots__ = ("items", "make", "size")

    def __init__(self, items: Any, make: Any, size: int = 1000):
        self.items, self.make, self.size = items, make, size

    def __len__(self) -> int:
        return len(self.items)

    def pieces(self):
        """The items, as lists of at most ``size``."""
        for start in range(0, len(self.items), self.size):
            yield [self.make(item) for item in self.items[start:start + self.size]]

    def __iter__(self):
        for piece in self.pieces():
            yield from piece

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.make(item) for item in self.items[index]]
        return self.make(self.items[index])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (list, Chunks)):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # a list is not hashable either

    def __repr__(self) -> str:
        return f"Chunks({len(self)} items)"


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
    if type(value) is Chunks:
        return "".join(_chunks(value, newline))
    text = _scalar(value)
    if text is not None:
        return text
    inner = newline + _INDENT
    if isinstance(value, dict):
        if not value:
            return "{}"
        cells = [direct(item) if (direct := _DIRECT.get(type(item))) is not None
                 else _encode(item, inner) for item in value.values()]
        return _layout(tuple(value), newline) % tuple(cells)
    if not value:
        return "[]"
    if all(type(item) is int for item in value):  # shapes, index lists: the common case
        return "[" + inner + ("," + inner).join(map(int.__repr__, value)) + newline + "]"
    items = _records(value, inner)
    if items is None:
        items = [_encode(v, inner) for v in value]
    return "[" + inner + ("," + inner).join(items) + newline + "]"


def _records(value: list, newline: str) -> list[str] | None:
    """The texts of a list of mappings that all have the same keys (the layers, the blocks),
    written column by column: a column of one plain type is encoded in one pass of a C
    function; None when the list is not such a table."""
    if len(value) < 2 or set(map(type, value)) != {dict}:
        return None
    shapes = set(map(tuple, value))
    if len(shapes) != 1:
        return None
    keys = shapes.pop()
    if not keys or not all(type(k) is str for k in keys):
        return None
    rows = map(itemgetter(*keys), value) if len(keys) > 1 else ((v[keys[0]],) for v in value)
    columns = [_column(column, newline + _INDENT) for column in zip(*rows)]
    return list(map(_layout(keys, newline).__mod__, zip(*columns)))


def _column(cells: tuple, newline: str) -> list[str]:
    """The texts of one column's cells (nested lines start with ``newline``)."""
    types = set(map(type, cells))
    if types == {str}:
        return list(map(_text, cells))
    if types == {int}:
        return list(map(int.__repr__, cells))
    if types == {float} and all(map(math.isfinite, cells)):
        return list(map(float.__repr__, cells))
    return [_encode(cell, newline) for cell in cells]


_LAYOUTS: dict[tuple, str] = {}


def _layout(keys: tuple, newline: str) -> str:
    """The text of a mapping with these keys at this depth, its values left as ``%s``: a table
    of records (layers, blocks) has a few key sequences, each laid out once."""
    found = _LAYOUTS.get((keys, newline))
    if found is None:
        inner = newline + _INDENT
        found = "{" + inner + ("," + inner).join(_key(k).replace("%", "%%") + ": %s"
                                                  for k in keys) + newline + "}"
        if len(_LAYOUTS) < 1000:  # bounded: a document of many distinct mappings
            _LAYOUTS[(keys, newline)] = found
    return found


def _chunks(value: Chunks, newline: str):
    """The text of a Chunks list, a piece of items at a time."""
    if not len(value):
        yield "[]"
        return
    inner = newline + _INDENT
    separator = "," + inner
    start = "[" + inner
    for piece in value.pieces():
        items = _records(piece, inner)
        if items is None:
            items = [_encode(v, inner) for v in piece]
        yield start + separator.join(items)
        start = separator
    yield newline + "]"


def _streams(value: Any) -> bool:
    """Whether ``value`` holds a Chunks list (written in pieces)."""
    if type(value) is Chunks:
        return True
    if type(value) is dict:
        return any(map(_streams, value.values()))
    return False


def _pieces(value: Any, newline: str):
    if type(value) is Chunks:
        yield from _chunks(value, newline)
    elif type(value) is dict and value and _streams(value):
        inner = newline + _INDENT
        start = "{" + inner
        for key, item in value.items():
            yield start + _key(key) + ": "
            yield from _pieces(item, inner)
            start = "," + inner
        yield newline + "}"
    else:
        yield _encode(value, newline)


def dumps(value: Any) -> str:
    """``json.dumps(numbers.json_tree(value), indent=2)``, several times faster."""
    return _encode(value, "\n")


def pieces(value: Any):
    """The text of ``dumps(value)`` in pieces (whose concatenation is that text): a Chunks list
    a piece of items at a time, everything else at once."""
    return _pieces(value, "\n")
