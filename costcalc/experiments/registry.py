"""The experiments by name, which zoo models have which, running them and rendering their tables."""
from __future__ import annotations

from typing import Any

from costcalc import zoo
from costcalc.errors import UsageError
from costcalc.experiments import v1, v2, v3
from costcalc.experiments.common import Experiment
from costcalc.render.controls import visible
from costcalc.table import Column, Table

# One module per paper; each lists its experiments in the order ``costcalc ablate`` runs them.
EXPERIMENTS: dict[str, Experiment] = {e.name: e for module in (v1, v2, v3)
                                      for e in module.EXPERIMENTS}


def for_model(model: str) -> list[Experiment]:
    """The experiments of a zoo model (name or alias); a UsageError when it has none."""
    name = zoo.canonical(model)
    found = [e for e in EXPERIMENTS.values() if name in e.models]
    if not found:
        models = sorted({m for e in EXPERIMENTS.values() for m in e.models})
        raise UsageError(f"no experiments for {model!r}; experiments exist for: "
                         f"{', '.join(models)}")
    return found


def run(model: str, only: list[str] | None = None, convention: str = "paper") -> list[Table]:
    """The tables of ``model``'s experiments (all, or those named in ``only``), in order.

    Args:
        model: a zoo name or alias (v1, v2, v3-large, v3-small).
        only: experiment names to run (see ``for_model``); None runs them all.
        convention: counting convention for MACs and params (``paper`` by default).

    Returns:
        One Table per experiment; ``table.data`` holds the experiment name, claim and rows.
    """
    from costcalc.costing.conventions import get

    get(convention)
    experiments = for_model(model)
    if only:
        names = [e.name for e in experiments]
        unknown = [n for n in only if n not in names]
        if unknown:
            raise UsageError(f"no experiment {unknown[0]!r} for {model}; valid: "
                             f"{', '.join(names)}")
        experiments = [e for e in experiments if e.name in only]
    canonical = zoo.canonical(model)
    tables = []
    for experiment in experiments:
        table = experiment.tabulate(canonical, convention)
        table.data = {"experiment": experiment.name, "model": canonical,
                      "title": table.title, "claim": experiment.claim,
                      "convention": convention,
                      "rows": [{c.key: row.get(c.key) for c in table.columns}
                               for row in table.rows],
                      "footer": list(table.footer)}
        tables.append(table)
    return tables


def listing(model: str) -> Table:
    """The experiments of ``model`` as a table: name, what it varies, the claim it checks."""
    rows = [{"name": e.name, "title": e.title, "claim": e.claim} for e in for_model(model)]
    return Table(f"experiments for {zoo.canonical(model)}",
                 [Column("name", "name"), Column("title", "experiment"),
                  Column("claim", "claim checked")], rows)


def render_all(tables: list[Table], fmt: str, **options: Any) -> str:
    """Several tables in one output: a JSON list, or the tables one after another.

    CSV blocks are separated by a blank line and headed by a ``# title`` line (``--only NAME``
    gives one plain CSV table).
    """
    import json

    from costcalc.render import Format, render

    fmt = Format(fmt)
    if fmt is Format.json:
        return json.dumps([json.loads(render(t, fmt, **options)) for t in tables], indent=2) + "\n"
    parts = []
    for table in tables:
        text = render(table, fmt, **options)
        if fmt is Format.csv and len(tables) > 1:
            text = f"# {visible(table.title)}\n{text}"  # one line, whatever the names in it
        parts.append(text if text.endswith("\n") else text + "\n")
    return "\n".join(parts)
