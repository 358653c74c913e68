"""``costcalc report MODEL`` (also plain ``costcalc MODEL``): the per-layer cost report."""
from __future__ import annotations

import json
from enum import Enum
from typing import Optional

import typer

from costcalc.cli import app
from costcalc.commands import options


class Format(str, Enum):
    table = "table"
    json = "json"


@app.command()
def report(
    model: str = typer.Argument(..., help="Zoo name (v1, v2, v3-large, ...) or path to a YAML spec."),
    alpha: Optional[str] = options.ALPHA,
    res: Optional[str] = options.RES,
    classes: Optional[str] = options.CLASSES,
    set_: Optional[list[str]] = options.SET,
    convention: str = options.CONVENTION,
    format: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Per-layer MACs, parameters and activations of MODEL, with totals.

    Example: costcalc v2 --alpha 0.5 --res 160
    """
    from costcalc.api import analyze

    result = analyze(model, convention, **options.overrides(alpha, res, classes, set_))
    if format is Format.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    from costcalc.render_table import print_report

    print_report(result)
