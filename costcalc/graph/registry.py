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
    """Channels, height, width of one tensor (batch 1); ints, or sympy expressions for formulas.

    A plain Shape is a C x H x W map; its subclass ``Tokens`` is a tensor of tokens.
    """

    c: Any
    h: Any
    w: Any

    tokens = False  # a class attribute, not a field: Tokens sets it

    @property
    def elements(self) -> Any:
        return self.c * self.h * self.w

    def text(self) -> str:
        """``CxHxW``, as messages and tables show a shape."""
        return f"{self.c}x{self.h}x{self.w}"


class Tokens(Shape):
    """N = h w tokens of width D = c (batch 1), on an h x w grid; w = 1 is a plain sequence.

    The three fields keep Shape's meaning for elements (D N) and rows (h w), so element-wise
    kinds pass a Tokens input through unchanged; a kind says whether it takes tokens (``Kind.
    tokens``). A Tokens never equals a map of the same sizes.
    """

    __slots__ = ()
    tokens = True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokens) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("tokens", *self))

    def text(self) -> str:
        """``NxD tokens`` (a sequence) or ``HxWxD tokens`` (a grid, channels last)."""
        if _is_one(self.w):
            return f"{self.h}x{self.c} tokens"
        return f"{self.h}x{self.w}x{self.c} tokens"


def _is_one(value: Any) -> bool:
    return bool(value == 1)  # structural for sympy: a symbolic side is not 1


# What a kind does with a Tokens input: refuse it (maps only, the default), accept it (maps or
# tokens: element-wise kinds, linear, norms, merges, composites) or require it (tokens only).
TOKEN_USES = ("refuse", "accept", "only")


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
    tokens: str = "refuse"  # one of TOKEN_USES

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
             memory: str | None = None, letters: Callable | None = None,
             tokens: str = "refuse") -> Callable:
    """Decorator: register ``build`` as layer kind ``name``; its docstring is the formula.

    ``memory`` is how its nodes use buffers at inference: ``view`` (no buffer of their own:
    flatten, dropout) or ``inplace`` (overwrite an input of the same size they last read: add,
    activation); None writes a fresh buffer. ``letters`` gives its cost in the notes' letters
    for ``costcalc formula`` (``graph.units.conv_letters`` is the model); None: no template.
    ``tokens`` says whether it refuses, accepts or requires a Tokens input (``TOKEN_USES``).
    """
    if memory not in MEMORY:
        raise ValueError(f"layer kind {name!r}: memory must be one of {MEMORY}")
    if tokens not in TOKEN_USES:
        raise ValueError(f"layer kind {name!r}: tokens must be one of {TOKEN_USES}")

    def add(build: Callable) -> Callable:
        if name in KINDS or name in ALIASES:
            raise ValueError(f"layer kind {name!r} already registered")
        KINDS[name] = Kind(name, fields, (build.__doc__ or "").strip(), build, prefix or name,
                           composite, internal, memory, letters, tokens)
        for alias in aliases:
            ALIASES[alias] = name
        return build

    return add


def token_problem(kind: Kind, x: Any) -> str | None:
    """Why ``kind`` cannot take input ``x`` (a Tensor or a list of them), or None."""
    first = x[0] if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape") else x
    shape = getattr(first, "shape", None)
    if shape is None:
        return None
    if shape.tokens and kind.tokens == "refuse":
        return (f"{kind.name} takes C x H x W maps, not tokens (got {shape.text()}); "
                "add to_map first")
    if not shape.tokens and kind.tokens == "only":
        return (f"{kind.name} takes tokens, not a C x H x W map (got {shape.text()}); "
                "add to_tokens or patch_embed first")
    return None


def lookup(name: str) -> Kind | None:
    """The kind registered under ``name`` or one of its aliases."""
    return KINDS.get(ALIASES.get(name, name))


def kinds_with_memory(memory: str) -> frozenset[str]:
    """Names of the kinds whose nodes have buffer behaviour ``memory`` (view, inplace)."""
    return frozenset(name for name, kind in KINDS.items() if kind.memory == memory)


def public_kinds() -> list[str]:
    """Kind names a spec may use, sorted."""
    return sorted(k for k, kind in KINDS.items() if not kind.internal)
