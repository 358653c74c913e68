"""The importer interface: a front end reads a model file and feeds the GraphBuilder.

An importer (ONNX next) turns a file into the same Graph the YAML walker builds, so every
report, convention, memory view and output format applies unchanged. It calls
``costcalc.graph.builder.GraphBuilder`` only:

* ``builder.input(shape)`` for each model input, then, in execution order,
  ``builder.call(kind, inputs, name, role=..., **fields)`` for each operation, inside
  ``with builder.block(name, kind):`` scopes that mirror the source model's hierarchy (an ONNX
  exporter's ``/features/3/conv/0`` names), giving each node its role in its block
  (``expand``, ``dw``, ``project``, ``se``, ``shortcut``...);
* ``builder.group`` set to the top-level module a node belongs to (the report's blocks);
* ``builder.graph(name, input_shape)`` at the end.

Shapes and counts come from the registered layer kinds (``costcalc.graph.kinds``); an operation
with no kind is an error naming it, never a silent zero. Heavy libraries (``onnx``) are imported
inside ``load`` only, so ``import costcalc`` stays light.
"""
from __future__ import annotations

from typing import Protocol

from costcalc.graph.core import Graph

IMPORTERS: dict[str, "Importer"] = {}  # file suffix (".onnx") -> importer


class Importer(Protocol):
    """Reads one model file format into a Graph through the GraphBuilder."""

    suffixes: tuple[str, ...]

    def load(self, path: str) -> Graph:
        """The graph of the model in ``path``; SpecError (file and what is wrong) otherwise."""
        ...


def register_importer(importer: Importer) -> Importer:
    """Make ``importer`` the reader of its suffixes; refuses a suffix that already has one."""
    for suffix in importer.suffixes:
        if suffix in IMPORTERS:
            raise ValueError(f"an importer for {suffix!r} is already registered")
        IMPORTERS[suffix] = importer
    return importer


def importer_for(path: str) -> Importer | None:
    """The importer registered for ``path``'s suffix, if any."""
    lowered = path.lower()
    return next((imp for suffix, imp in IMPORTERS.items() if lowered.endswith(suffix)), None)
