"""``costcalc sweep``: one model over a grid of parameters, one grid per metric (v1 Tables 6-7)."""
from __future__ import annotations

from enum import Enum

import typer

from costcalc.cli import completion, options
from costcalc.render import Format

class Layout(str, Enum):
    """grid: rows = all axes but the last, columns = the last axis; long: one row per point."""

    grid = "grid"
    long = "long"


def sweep(
    model: str = typer.Argument(..., help="Zoo name or spec path, optionally MODEL:NAME=VALUE,...",
                                autocompletion=completion.variant),
    alpha: options.Alphas = None,
    res: options.Reses = None,
    classes: options.ClassesList = None,
    proposals: options.ProposalsList = None,
    set_: options.SetLists = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    layout: Layout = typer.Option(Layout.grid, "--layout", "-l",
                                  help="grid: one grid per metric (last axis across); "
                                       "long: one row per parameter point."),
    max_points: options.MaxPoints = options.MAX_POINTS,
    device: options.Device = None,
    dtype: options.DeviceDtype = None,
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """MACs, params and activations of MODEL at every combination of the given values.

    The grid layout prints what the papers print: one grid per metric, rows = the first
    axes (e.g. alpha), columns = the last axis (e.g. resolution). --layout long prints one
    row per point, like MobileNet v2's 22-row table.

    Examples:

        costcalc sweep v1 --alpha 1,0.75,0.5,0.25 --res 224,192,160,128

        costcalc sweep v2 --alpha 0.35,0.5,0.75,1,1.3,1.4 --res 96,128,160,192,224 --layout long

        costcalc sweep v2 --set t=1,2,4,6 --format csv
    """
    from costcalc.costing.sweep import sweep_table
    from costcalc.costing.variants import axes
    from costcalc.render import render

    extra = None
    if device is not None or dtype is not None:
        from costcalc.latency.compare import latency_metric

        extra = latency_metric(device, dtype)
    table = sweep_table(model, axes(alpha, res, classes, options.model_file_sets(
        options.proposal_sets(set_, proposals, (model,)), model_input, allow_unknown)),
        convention, layout.value,
                        evaluate=_evaluate, max_points=max_points, extra=extra)
    typer.echo(render(table, format, exact=exact, **options.latex(caption, label, no_notes)), nl=False)


def _evaluate(spec, axes, base, convention):
    """evaluate_grid over all axes; on a terminal with a progress bar on stderr."""
    import sys

    from costcalc.costing.grid import evaluate_grid
    from costcalc.render.terminal import markup, use_color

    total = 1
    for values in axes.values():
        total *= len(values)
    if total < 2 or not use_color(sys.stderr):
        return evaluate_grid(spec, axes, base, convention)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"sweeping {markup(spec.name)}", total=total)
        # one grid, so that its traced builds serve every row
        return evaluate_grid(spec, axes, base, convention,
                             progress=lambda done: progress.advance(task, done))
