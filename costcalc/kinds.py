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

    def field(self, name: str) -> Field | None:
        for field in self.fields:
            if field.name == name:
                return field
        return None


KINDS: dict[str, Kind] = {}
ALIASES: dict[str, str] = {}


def register(name: str, *fields: Field, prefix: str | None = None, composite: bool = False,
             internal: bool = False, aliases: tuple[str, ...] = ()) -> Callable:
    """Decorator: register ``build`` as layer kind ``name``; its docstring is the formula."""

    def add(build: Callable) -> Callable:
        if name in KINDS or name in ALIASES:
            raise ValueError(f"layer kind {name!r} already registered")
        KINDS[name] = Kind(name, fields, (build.__doc__ or "").strip(), build, prefix or name,
                           composite, internal)
        for alias in aliases:
            ALIASES[alias] = name
        return build

    return add


def lookup(name: str) -> Kind | None:
    """The kind registered under ``name`` or one of its aliases."""
    return KINDS.get(ALIASES.get(name, name))


def public_kinds() -> list[str]:
    """Kind names a spec may use, sorted."""
    return sorted(k for k, kind in KINDS.items() if not kind.internal)
