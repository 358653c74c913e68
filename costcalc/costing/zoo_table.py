"""The model zoo as a table (``costcalc list``): each model's costs at its defaults."""
from __future__ import annotations

from costcalc import zoo
from costcalc.costing.analyze import analyze
from costcalc.spec.models import load
from costcalc.table import Column, Table


def zoo_table(convention: str = "paper"):
    """Every zoo model at its default parameters, as a Table."""
    columns = [Column("name", "name"), Column("aliases", "aliases", priority=2, shrink=True),
               Column("macs", "MACs", "count"), Column("params", "params", "count"),
               Column("parameters", "parameters", priority=3, shrink=True),
               Column("description", "description", priority=1, shrink=True)]
    rows = []
    for name in zoo.names():
        spec = load(name)
        report = analyze(spec, convention)
        aliases = [a for a, target in zoo.ALIASES.items() if target == name]
        rows.append({"name": name, "aliases": ", ".join(aliases), "macs": report.total.macs,
                     "params": report.total.params, "parameters": ", ".join(spec.parameters),
                     "description": spec.description})
    return Table(f"model zoo (defaults, {convention} convention)", columns, rows,
                 ["costcalc show NAME prints a model's spec; costcalc NAME its per-layer report"])
