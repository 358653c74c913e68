"""``costcalc report MODEL`` (also plain ``costcalc MODEL``): the per-layer cost report."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import app
from costcalc.commands import options
from costcalc.render import Format


@app.command()
def report(
    model: str = typer.Argument(..., help="Zoo name (v1, v2, v3-large, ...) or path to a YAML spec."),
    alpha: Optional[str] = options.ALPHA,
    res: Optional[str] = options.RES,
    classes: Optional[str] = options.CLASSES,
    set_: Optional[list[str]] = options.SET,
    convention: str = options.CONVENTION,
    format: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    exact: bool = typer.Option(False, "--exact", help="Print exact integers, not 300.77M."),
) -> None:
    """Per-layer MACs, parameters and activations of MODEL, with totals.

    Example: costcalc v2 --alpha 0.5 --res 160
    """
    from costcalc.api import analyze

    from costcalc.render import render
    from costcalc.report_table import report_table

    result = analyze(model, convention, **options.overrides(alpha, res, classes, set_))
    typer.echo(render(report_table(result), format, exact=exact), nl=False)
