"""The layer-kind registry: each kind declares its fields once; the builder checks specs against them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

REQUIRED = object()

# Field types: count (whole number >= minimum), number (exact rational), bool, choice (one of
# `choices`), padding ('same', 'valid' or a count >= 0), layers (a list of entries), branches
# (a list of lists of entries), shortcut ('auto', 'identity', 'projection' or a list of entries).


@dataclass(frozen=True)
class Field:
    """One YAML key of a layer kind."""

    name: str
    type: str
    default: Any = REQUIRED
    doc: str = ""
    choices: tuple[str, ...] = ()
    minimum: int = 1
    maximum: int | None = None
    below: Any = None  # numbers: the value must be less than this (dropout p < 1)
    below: Any = None  # numbers: the value must be less than this (dropout p < 1)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class Shape(NamedTuple):
    """Channels, height, width of one tensor (batch 1); ints, or sympy expressions for formulas."""

    c: Any
    h: Any
    w: Any

    @property
    def elements(self) -> Any:
        return self.c * self.h * self.w

    def text(self) -> str:
        """``CxHxW``, as messages and tables show a shape."""
        return f"{self.c}x{self.h}x{self.w}"


@dataclass(frozen=True)
class Kind:
    """A layer kind: its YAML name, fields, formula docstring and the function that builds it."""

    name: str
    fields: tuple[Field, ...]
    doc: str
    build: Callable  # build(builder, values: dict, x: Tensor, name: str) -> Tensor
    prefix: str  # default node name prefix
    composite: bool = False
    internal: bool = False  # made by composites only, not writable in a spec
    memory: str | None = None  # "view": aliases its input; "inplace": overwrites its input
    letters: Callable | None = None  # letters(node, resolve) -> (macs, params) in the notes'
    #                                  letters, for the formula tables (see graph.units)

    def field(self, name: str) -> Field | None:
        for field in self.fields:
            if field.name == name:
                return field
        return None


KINDS: dict[str, Kind] = {}
ALIASES: dict[str, str] = {}


MEMORY = (None, "view", "inplace")


def register(name: str, *fields: Field, prefix: str | None = None, composite: bool = False,
             internal: bool = False, aliases: tuple[str, ...] = (),
             memory: str | None = None, letters: Callable | None = None) -> Callable:
    """Decorator: register ``build`` as layer kind ``name``; its docstring is the formula.

    ``memory`` is how its nodes use buffers at inference: ``view`` (no buffer of their own:
    flatten, dropout) or ``inplace`` (overwrite an input of the same size they last read: add,
    activation); None writes a fresh buffer. ``letters`` gives its cost in the notes' letters
    for ``costcalc formula`` (``graph.units.conv_letters`` is the model); None: no template.
    """
    if memory not in MEMORY:
        raise ValueError(f"layer kind {name!r}: memory must be one of {MEMORY}")

    def add(build: Callable) -> Callable:
        if name in KINDS or name in ALIASES:
            raise ValueError(f"layer kind {name!r} already registered")
        KINDS[name] = Kind(name, fields, (build.__doc__ or "").strip(), build, prefix or name,
                           composite, internal, memory, letters)
        for alias in aliases:
            ALIASES[alias] = name
        return build

    return add


def lookup(name: str) -> Kind | None:
    """The kind registered under ``name`` or one of its aliases."""
    return KINDS.get(ALIASES.get(name, name))


def kinds_with_memory(memory: str) -> frozenset[str]:
    """Names of the kinds whose nodes have buffer behaviour ``memory`` (view, inplace)."""
    return frozenset(name for name, kind in KINDS.items() if kind.memory == memory)


def public_kinds() -> list[str]:
    """Kind names a spec may use, sorted."""
    return sorted(k for k, kind in KINDS.items() if not kind.internal)
