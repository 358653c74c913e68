"""``costcalc list`` (the zoo and its headline numbers) and ``costcalc show`` (a spec to edit)."""
from __future__ import annotations

from enum import Enum

import typer

from costcalc.cli import options
from costcalc.render import Format


def list_models(
    convention: options.ConventionName = "paper",
    columns: options.ColumnNames = None,
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """The model zoo: one line per model with its description and costs at the defaults.

    Examples:

        costcalc list

        costcalc list --convention torchvision --format markdown
    """
    from costcalc.costing.zoo_table import zoo_table
    from costcalc.render import render

    table = options.select_columns(zoo_table(convention), columns)
    typer.echo(render(table, format, exact=exact, **options.latex(caption, label, no_notes)), nl=False)


class ShowFormat(str, Enum):
    """Formats of a printed spec."""

    yaml = "yaml"
    json = "json"


def show(
    model: options.Model,
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    format: ShowFormat = typer.Option(ShowFormat.yaml, "--format", "-f",
                                      help="yaml (a spec file) or json."),
) -> None:
    """The spec of MODEL, with the parameter values given here as its new defaults.

    Every expression is kept as written, so the output analysed at any parameter values gives
    exactly the numbers of MODEL at those values: save it, edit it, and run costcalc on the file.

    Examples:

        costcalc show v2 --alpha 0.5 > my_v2.yaml && costcalc my_v2.yaml --res 160

        costcalc show v3-small --set flavor=torchvision --format json
    """
    from costcalc.api import load
    from costcalc.spec.shown import comment, json_number, shown_document, spec_yaml

    spec = load(model)
    given = options.overrides(alpha, res, classes, set_, model_input, allow_unknown, proposals,
                              (model,))
    document = shown_document(spec, given)
    if format == ShowFormat.json:
        import json

        typer.echo(json.dumps(document, indent=2, ensure_ascii=True, default=json_number))
        return
    from costcalc.costing.report_table import parameter_text

    values = spec.resolve(given)
    at = parameter_text(values, spec.base_resolution)
    header = (f"# {comment(spec.name)} at {comment(at)}, printed by costcalc show:\n"
              "# every expression as written; the values given became the parameters' defaults.\n"
              "# Edit it and run: costcalc FILE.yaml [--set NAME=VALUE ...]\n")
    typer.echo(header + spec_yaml(document), nl=False)
