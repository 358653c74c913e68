"""One object for each distinct per-node value: identical counts, info and shapes are shared.

A deep stack repeats the same few layers: a 100,000-layer ResNet has a few dozen distinct counts
and info mappings. Holding one copy of each keeps a large graph's memory near its distinct
layers. Only values of plain types are shared: their equality is exact and costs nothing (a
traced int records every comparison as a guard, a sympy expression compares structurally, a list
is not hashable), and the types are part of the key, so ``True`` and ``1`` stay apart. Shared
mappings are never mutated: code that changes a node's counts or info gives the node a new one.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc.graph.registry import Shape

_ATOMS = frozenset((int, str, bool, type(None)))  # not float: -0.0 == 0.0
_WITH_SHAPE = _ATOMS | {Shape}
_INTS = frozenset((int,))


class Shared:
    """The first of each distinct counts mapping, info mapping and shape seen by one builder."""

    __slots__ = ("counts", "mappings", "shapes")

    def __init__(self) -> None:
        self.counts: dict[tuple, dict] = {}  # a layer's counts as given -> without its zeros
        self.mappings: dict[tuple, dict] = {}
        self.shapes: dict[tuple, Shape] = {}

    def nonzero(self, counts: dict[str, Any]) -> dict[str, Any] | None:
        """``counts`` without its zero counts, made once for equal counts; None unless every
        count is a plain int (the builder then leaves out the zeros itself)."""
        items = tuple(counts.values())
        if not _INTS.issuperset(map(type, items)):
            return None
        key = (tuple(counts), items)
        found = self.counts.get(key)
        if found is None:
            found = self.counts[key] = {k: v for k, v in counts.items() if v}
        return found

    def mapping(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values``, or an equal mapping of the same types seen before."""
        items = tuple(values.values())
        types = tuple(map(type, items))
        if not _ATOMS.issuperset(types):
            if not _WITH_SHAPE.issuperset(types):
                return values
            for item in items:  # a map shape of ints (a Tokens shape is left alone)
                if type(item) is Shape and not (type(item.c) is int and type(item.h) is int
                                                and type(item.w) is int):
                    return values
        return self.mappings.setdefault((tuple(values), types, items), values)

    def shape(self, shape: Shape) -> Shape:
        """``shape``, or an equal shape of the same type seen before (ints only)."""
        c, h, w = shape
        if type(c) is int and type(h) is int and type(w) is int:
            return self.shapes.setdefault((type(shape), c, h, w), shape)
        return shape
