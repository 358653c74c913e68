"""Loaded YAML values that remember where they came from: ``Pos``, ``Mapping``, ``Sequence``."""
from __future__ import annotations

import struct

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any


class Pos:
    """A 1-based line and column, plus the column shift for quoted scalars."""

    __slots__ = ("line", "column", "quoted")

    def __init__(self, line: int, column: int, quoted: bool = False):
        self.line, self.column, self.quoted = line, column, quoted

    def at(self, offset: int) -> tuple[int, int]:
        """Position of character ``offset`` inside the scalar that starts here."""
        return self.line, self.column + offset + (1 if self.quoted else 0)

    def __eq__(self, other: object) -> bool:  # made on demand: equal by value, not identity
        if not isinstance(other, Pos):
            return NotImplemented
        return (self.line, self.column, self.quoted) == (other.line, other.column, other.quoted)

    def __hash__(self) -> int:
        return hash((self.line, self.column, self.quoted))

    def __repr__(self) -> str:
        return f"Pos({self.line}, {self.column}{', quoted' if self.quoted else ''})"


# A loaded mapping or sequence keeps its positions packed in one bytes object: two unsigned
# 64-bit numbers per position (line; column * 2 + quoted): its own position first, then a
# (key, value) pair per key in insertion order, or one per item. ``key_pos``, ``value_pos``
# and ``item_pos`` are read-only views of it that make a ``Pos`` when one is asked for (a view
# asked often keeps the ones it made). A 100k-layer spec has about 200,000 positions: as
# objects in two dicts per mapping they took about 30 MB, packed they take about 3 MB.
_PAIR = struct.Struct("<QQ")
_SMALL = 8  # a mapping with more keys finds a key's place through a dict, not a scan


def _unpack(at: bytes, index: int) -> Pos:
    line, column = _PAIR.unpack_from(at, 16 * index)
    return Pos(line, column >> 1, bool(column & 1))


def seal(container: Mapping | Sequence, numbers: list[int], keys: Any = None) -> None:
    """Give a container a loader filled (through ``dict.__setitem__``/``list.append``) its
    positions: ``numbers`` is [line, column * 2 + quoted] for itself, then per key (key,
    value) or per item. ``keys``, the mapping's keys as ``keyed`` made them, may be shared
    by mappings with the same keys."""
    at = struct.pack(f"<{len(numbers)}Q", *numbers)
    container.pos = Pos(numbers[0], numbers[1] >> 1)
    if isinstance(container, Mapping):
        keys = keyed(container) if keys is None else keys
        container.key_pos = _KeyedPositions(at, keys, 1)
        container.value_pos = _KeyedPositions(at, keys, 2)
    else:
        container.item_pos = _ItemPositions(at, len(container))


def keyed(mapping: dict) -> tuple | dict:
    """The keys of ``mapping`` in order, as ``seal`` takes them: a tuple, or for a large
    mapping a dict from each key to its place."""
    if len(mapping) <= _SMALL:
        return tuple(mapping)
    return {key: index for index, key in enumerate(mapping)}


class _KeyedPositions:
    """``key_pos`` (``shift`` 1) or ``value_pos`` (``shift`` 2) of a loaded mapping: reads like
    the dict of ``Pos`` a mapping made in code has."""

    __slots__ = ("_at", "_keys", "_shift", "_asked", "_made")

    def __init__(self, at: bytes, keys: tuple | dict, shift: int):
        self._at, self._keys, self._shift, self._asked, self._made = at, keys, shift, 0, None

    def __getitem__(self, key: Any) -> Pos:
        made = self._made
        if made is not None:
            return made[key]
        self._asked += 1
        if self._asked > 3:  # asked often (a user block's entry, read at every call)
            self._made = made = {name: _unpack(self._at, 2 * index + self._shift)
                                 for index, name in enumerate(self._keys)}
            return made[key]
        keys = self._keys
        if type(keys) is tuple:
            try:
                index = keys.index(key)
            except ValueError:
                raise KeyError(key) from None
        else:
            index = keys[key]
        return _unpack(self._at, 2 * index + self._shift)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self._keys else default

    def __contains__(self, key: Any) -> bool:
        return key in self._keys

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def keys(self) -> list:
        return list(self._keys)

    def values(self) -> list[Pos]:
        return [self[key] for key in self._keys]

    def items(self) -> list[tuple[Any, Pos]]:
        return [(key, self[key]) for key in self._keys]

    def __setitem__(self, key: Any, pos: Pos) -> None:
        raise TypeError("the positions of a loaded mapping are read-only: assign its "
                        "key_pos and value_pos dicts to change them")


class _ItemPositions:
    """``item_pos`` of a loaded sequence: reads like the list of ``Pos`` one made in code has."""

    __slots__ = ("_at", "_length")

    def __init__(self, at: bytes, length: int):
        self._at, self._length = at, length

    def __getitem__(self, index: int) -> Pos:
        return _unpack(self._at, 1 + range(self._length)[index])

    def __len__(self) -> int:
        return self._length

    def __iter__(self):
        at = self._at
        return (_unpack(at, 1 + index) for index in range(self._length))

    def append(self, pos: Pos) -> None:
        raise TypeError("the positions of a loaded sequence are read-only: assign its "
                        "item_pos list to change them")


def _unpacking(method):
    """A method that changes a loaded container: its positions become plain dicts or lists
    first, so packed positions never stand beside keys or items they were not made for."""
    def changed(self, *args, **kwargs):
        self._unpack_all()
        return method(self, *args, **kwargs)

    changed.__name__ = method.__name__
    changed.__doc__ = method.__doc__
    return changed


class Mapping(dict):
    """A YAML mapping; ``pos`` is where it starts, ``key_pos``/``value_pos`` per key.

    One made in code gets ``pos``, ``key_pos`` and ``value_pos`` assigned (dicts of ``Pos``);
    a loaded one has read-only views of its packed positions there until it is changed.
    """

    __slots__ = ("pos", "key_pos", "value_pos")

    def _unpack_all(self) -> None:
        for name in ("key_pos", "value_pos"):
            positions = getattr(self, name, None)
            if isinstance(positions, _KeyedPositions):
                setattr(self, name, dict(positions.items()))

    __setitem__ = _unpacking(dict.__setitem__)
    __delitem__ = _unpacking(dict.__delitem__)
    __ior__ = _unpacking(dict.__ior__)
    pop = _unpacking(dict.pop)
    popitem = _unpacking(dict.popitem)
    setdefault = _unpacking(dict.setdefault)
    update = _unpacking(dict.update)
    clear = _unpacking(dict.clear)


class Sequence(list):
    """A YAML sequence; ``pos`` is where it starts, ``item_pos`` per item.

    One made in code gets ``pos`` and ``item_pos`` assigned (a list of ``Pos``); a loaded one
    has a read-only view of its packed positions there until it is changed.
    """

    __slots__ = ("pos", "item_pos")

    def _unpack_all(self) -> None:
        positions = getattr(self, "item_pos", None)
        if isinstance(positions, _ItemPositions):
            self.item_pos = list(positions)

    __setitem__ = _unpacking(list.__setitem__)
    __delitem__ = _unpacking(list.__delitem__)
    __iadd__ = _unpacking(list.__iadd__)
    __imul__ = _unpacking(list.__imul__)
    append = _unpacking(list.append)
    extend = _unpacking(list.extend)
    insert = _unpacking(list.insert)
    pop = _unpacking(list.pop)
    remove = _unpacking(list.remove)
    clear = _unpacking(list.clear)
    sort = _unpacking(list.sort)
    reverse = _unpacking(list.reverse)


def position(container: Any, key: Any) -> Pos | None:
    """Where ``container[key]`` stands in the source, if known."""
    if isinstance(container, Mapping):
        return container.value_pos.get(key)
    if isinstance(container, Sequence) and isinstance(key, int) and key < len(container.item_pos):
        return container.item_pos[key]
    return None
