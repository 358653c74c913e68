"""Plain records: a class names its fields in ``_FIELDS`` and writes its ``__init__``.

``Record`` gives them what ``dataclasses`` would generate (equality and hashing over the fields,
a repr, ``replace``) without importing ``dataclasses`` (and with it ``inspect``, ``dis`` and
``tokenize``) or generating code per class, which the main report's start-up cannot afford.
A record's ``__init__`` takes its fields by the same names, in ``_FIELDS`` order.
"""
from __future__ import annotations


class Record:
    """Equality, hash, repr and ``replace`` over the fields named in ``_FIELDS``.

    ``_UNCOMPARED`` lists fields left out of equality and hashing (descriptive text).
    """

    __slots__ = ()
    _FIELDS: tuple[str, ...] = ()
    _UNCOMPARED: tuple[str, ...] = ()

    def _compared(self) -> tuple:
        return tuple(getattr(self, name) for name in self._FIELDS if name not in self._UNCOMPARED)

    def __eq__(self, other: object):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{self.__class__.__name__}({fields})"

    def replace(self, **changes):
        """A copy with ``changes`` (field name -> new value)."""
        values = {name: getattr(self, name) for name in self._FIELDS}
        values.update(changes)
        return self.__class__(**values)
