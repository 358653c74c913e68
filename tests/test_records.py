"""Every plain record (``costcalc.records.Record``) names in ``_FIELDS`` exactly the parameters of
its ``__init__``, in order: equality, hashing, repr and ``replace`` read ``_FIELDS``, so a field
added to one and not the other would be silently left out of them."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import costcalc
from costcalc.records import Record


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _records():
    for info in pkgutil.walk_packages(costcalc.__path__, "costcalc."):
        if not info.name.endswith(".__main__"):  # running it would run the command line
            importlib.import_module(info.name)
    return sorted({c for c in _subclasses(Record) if c.__module__.startswith("costcalc.")},
                  key=lambda c: (c.__module__, c.__qualname__))


RECORDS = _records()


def test_the_records_are_found():
    assert len(RECORDS) >= 15  # Node, Graph, Field, Kind, Row, Total, Report, Convention, ...


@pytest.mark.parametrize("record", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_fields_are_the_init_parameters_in_order(record):
    parameters = [name for name, p in inspect.signature(record.__init__).parameters.items()
                  if p.kind is p.POSITIONAL_OR_KEYWORD][1:]
    assert list(record._FIELDS) == parameters
    assert set(record._UNCOMPARED) <= set(record._FIELDS)
