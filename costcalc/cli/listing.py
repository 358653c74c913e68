"""``costcalc list`` (the zoo with headline numbers) and ``costcalc show`` (a resolved spec)."""
from __future__ import annotations

from enum import Enum

import typer

from costcalc.cli import options
from costcalc.render import Format


def list_models(
    convention: options.ConventionName = "paper",
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """The model zoo: one line per model with its description and costs at the defaults.

    Examples:

        costcalc list

        costcalc list --convention torchvision --format markdown
    """
    from costcalc.render import render

    typer.echo(render(zoo_table(convention), format, exact=exact), nl=False)


def zoo_table(convention: str = "paper"):
    """Every zoo model at its default parameters, as a Table."""
    from costcalc import zoo
    from costcalc.api import analyze, load
    from costcalc.table import Column, Table

    columns = [Column("name", "name"), Column("aliases", "aliases"),
               Column("macs", "MACs", "count"), Column("params", "params", "count"),
               Column("parameters", "parameters"), Column("description", "description")]
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


class ShowFormat(str, Enum):
    """Formats of a resolved spec."""

    yaml = "yaml"
    json = "json"


def show(
    model: options.Model,
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    set_: options.Sets = None,
    format: ShowFormat = typer.Option(ShowFormat.yaml, "--format", "-f",
                                      help="yaml (a spec file) or json."),
) -> None:
    """The resolved spec of MODEL: parameter values set, expressions evaluated.

    The output is a valid spec: save it, edit it, and run costcalc on the file.

    Examples:

        costcalc show v2 --alpha 0.5 > my_v2.yaml && costcalc my_v2.yaml

        costcalc show v3-small --set flavor=torchvision --format json
    """
    from costcalc.api import load
    from costcalc.spec.resolved import resolved_document

    spec = load(model)
    document = resolved_document(spec, options.overrides(alpha, res, classes, set_))
    if format == ShowFormat.json:
        import json

        typer.echo(json.dumps(document, indent=2))
        return
    import yaml

    from costcalc.costing.report_table import parameter_text
    from costcalc.spec.models import resolve

    values = resolve(spec, options.overrides(alpha, res, classes, set_))
    header = (f"# {spec.name} at {parameter_text(values)}, resolved by costcalc show:\n"
              "# expressions evaluated (parameters folded into the numbers are dropped).\n"
              "# Edit it and run: costcalc FILE.yaml\n")
    typer.echo(header + yaml.dump(document, Dumper=_dumper(), sort_keys=False,
                                  default_flow_style=None, width=110, allow_unicode=False),
               nl=False)


def _dumper() -> type:
    """SafeDumper that writes a Decimal as the plain number it is, every digit kept."""
    import yaml

    from costcalc.spec.resolved import Decimal

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(
        Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", value))
    return Dumper
