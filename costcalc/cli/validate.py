"""``costcalc validate FILE``: every problem in a spec, one located line each; or an ok summary."""
from __future__ import annotations


import typer

from costcalc.cli import options
from costcalc.render import Format


def validate(
    model: str = typer.Argument(..., help="Path to a YAML spec (or a zoo name)."),
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    set_: options.Sets = None,
    convention: options.ConventionName = "paper",
    format: options.OutputFormat = Format.table,
) -> None:
    """Check a spec and report every independent problem as FILE:LINE:COL: message (exit 2).

    Example: costcalc validate my_net.yaml --set alpha=0.5
    """
    from costcalc import importers, zoo
    from costcalc.costing import conventions
    from costcalc.costing.report import Report
    from costcalc.spec.validate import check_file
    from costcalc.errors import SpecErrors
    from costcalc.render import render
    from costcalc.table import Column, Table

    rules = conventions.get(convention)
    overrides = options.overrides(alpha, res, classes, set_)
    if importers.open_model(model) is not None:  # a model file: its first problem is an error
        from types import SimpleNamespace

        from costcalc.api import analyze

        report = analyze(model, convention, **overrides)
        result = SimpleNamespace(path=model, values=report.parameters)
    else:
        result = check_file(zoo.locate(model), overrides, rules)
        if result.problems:
            raise SpecErrors(result.problems)
        report = Report.from_graph(result.graph, result.values, rules)
    row = {"file": result.path, "model": report.model, "status": "ok",
           "layers": len(report.layers), "macs": report.total.macs,
           "params": report.total.params}
    table = Table(f"validate {result.path}",
                  [Column("file", "file"), Column("model", "model"), Column("status", "status"),
                   Column("layers", "layers", "count"), Column("macs", "MACs", "count"),
                   Column("params", "params", "count")],
                  [row],
                  footer=[f"ok: no problems found ({rules.name} convention, parameters "
                          + (", ".join(f"{k}={_shown(v)}" for k, v in result.values.items())
                             or "none") + ")"])
    typer.echo(render(table, format), nl=False)


def _shown(value) -> str:
    from costcalc import numbers

    return numbers.format_number(value) if numbers.is_exact(value) else str(value)
