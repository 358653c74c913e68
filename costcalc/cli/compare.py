"""``costcalc compare``: one row per model variant, with ratios to a baseline row."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import completion, options
from costcalc.cli.options import MAX_POINTS
from costcalc.render import Format


def compare(
    models: list[str] = typer.Argument(..., metavar="VARIANT", autocompletion=completion.variant,
                                       help="MODEL or MODEL:NAME=VALUE,... (zoo name or spec "
                                            "path), e.g. v2:alpha=0.5,res=160."),
    alpha: options.Alphas = None,
    res: options.Reses = None,
    classes: options.ClassesList = None,
    proposals: options.ProposalsList = None,
    set_: options.SetLists = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    baseline: Optional[str] = typer.Option(None, "--baseline", "-b",
                                           help="Row the ratios are relative to (its label, "
                                                "its variant text or its 1-based number); "
                                                "default: the first row."),
    sort: Optional[str] = typer.Option(None, "--sort",
                                       help="Sort rows by a column: variant, macs, params, "
                                            "activations or a ratio column (macs_ratio, ...)."),
    reverse: bool = typer.Option(False, "--reverse", help="Sort in descending order."),
    max_points: options.MaxPoints = MAX_POINTS,
    device: options.Device = None,
    dtype: options.DeviceDtype = None,
    columns: options.ColumnNames = None,
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """Totals of several models or variants side by side, with ratios to a baseline.

    Every VARIANT is combined with every value of --alpha/--res/--classes/--set (a cross
    product), so one model and two lists give a whole family.

    Examples:

        costcalc compare v1 v2 v3-large v3-small

        costcalc compare v2 v2:alpha=0.5,res=160 my_net.yaml:t=4

        costcalc compare v2 --alpha 0.35,0.5,0.75,1.0 --res 224,160 --baseline 8

        costcalc compare v1 v2 v3-large --sort macs --format markdown
    """
    from costcalc.costing.compare import compare_table
    from costcalc.costing.variants import axes, check_points
    from costcalc.render import render

    grid = axes(alpha, res, classes, options.model_file_sets(
        options.proposal_sets(set_, proposals, models), model_input, allow_unknown))
    check_points(grid, max_points, len(models))
    table = compare_table(models, grid, convention, baseline, sort, reverse)
    if device is not None or dtype is not None:
        from costcalc.latency.compare import add_latency

        add_latency(table, device, dtype)
    typer.echo(render(options.select_columns(table, columns), format, exact=exact, **options.latex(caption, label, no_notes)), nl=False)
