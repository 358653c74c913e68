"""``costcalc validate FILE``: every problem in a spec, one located line each; or an ok summary."""
from __future__ import annotations


import typer

from costcalc.cli import completion, options
from costcalc.cli.options import EXIT_BAD_INPUT
from costcalc.render import Format


def validate(
    model: str = typer.Argument(..., help="Path to a YAML spec (or a zoo name).",
                                autocompletion=completion.model),
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    format: options.OutputFormat = Format.table,
) -> None:
    """Check a spec and report every independent problem as FILE:LINE:COL: message (exit 2).

    With --format json a failure is a JSON list on stdout, one object per problem: path, line,
    column, message and hint (what to do instead, or null).

    Example: costcalc validate my_net.yaml --set alpha=0.5
    """
    from costcalc import importers, zoo
    from costcalc.costing import conventions
    from costcalc.costing.report import Report
    from costcalc.spec.validate import check_file
    from costcalc.errors import CostcalcError, SpecErrors
    from costcalc.render import render
    from costcalc.table import Column, Table

    try:
        rules = conventions.get(convention)
        overrides = options.overrides(alpha, res, classes, set_, model_input,
                                      allow_unknown, proposals, (model,))
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
    except CostcalcError as exc:
        if format != Format.json:
            raise
        import json

        typer.echo(json.dumps([problem_record(e) for e in getattr(exc, "errors", [exc])],
                              indent=2))
        raise typer.Exit(EXIT_BAD_INPUT) from None
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


def problem_record(error) -> dict:
    """One problem as JSON: where (path, line, column; null when unknown), what is wrong
    (message) and what to do about it (hint, or null)."""
    from costcalc.errors import split_hint

    message, hint = split_hint(getattr(error, "message", str(error)))
    return {"path": getattr(error, "path", None), "line": getattr(error, "line", None),
            "column": getattr(error, "column", None), "message": message, "hint": hint}


def _shown(value) -> str:
    from costcalc import numbers

    return numbers.format_number(value) if numbers.is_exact(value) else str(value)
