"""``costcalc ablate MODEL``: the notes' design claims as tables, paper figures beside costcalc's."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import completion, options
from costcalc.render import Format


def ablate(
    model: str = typer.Argument(..., help="Zoo model with experiments: v1, v2, v3-large, v3-small.",
                                autocompletion=completion.ablate_model),
    only: Optional[list[str]] = typer.Option(
        None, "--only", "-o", metavar="NAME", autocompletion=completion.experiment,
        help="Run only this experiment (repeatable); --list shows the names."),
    list_: bool = typer.Option(False, "--list", help="List MODEL's experiments and exit."),
    convention: options.ConventionName = "paper",
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
    experiment: Optional[str] = typer.Option(
        None, "--experiment", "-x", autocompletion=completion.extra_experiment,
        help="speed (v1 only): separable vs standard and VGG16 vs v1 in MACs and in predicted "
             "latency (costcalc latency), Caffe's grouped convolution vs a depthwise kernel. "
             "detection, segmentation: the paper's detection or segmentation tables with "
             "costcalc's counts of the zoo's head specs beside the printed ones."),
) -> None:
    """One table per design claim of MODEL: the variants, costcalc's counts and the papers' figures.

    v1: separable, vgg16, narrow-shallow. v2: expansion, degenerate.
    v3-large / v3-small: stem, last-stage, se, activations.

    Example: costcalc ablate v3-large --only last-stage --format latex
    """
    from costcalc import experiments

    if experiment is not None:
        _experiment(model, experiment, only, list_, format, exact)
        return
    if list_:
        table = experiments.listing(model)
        from costcalc.render import render

        typer.echo(render(table, format, exact=exact, **options.latex(caption, label, no_notes)), nl=False)
        return
    tables = experiments.run(model, only, convention)
    typer.echo(experiments.render_all(tables, format, exact=exact), nl=False)


def _experiment(model: str, name: str, only, list_: bool, format: Format, exact: bool) -> None:
    """``--experiment NAME``: the speed claims in latency, or a paper's detection or
    segmentation table."""
    from costcalc import zoo
    from costcalc.errors import UsageError
    from costcalc.experiments import render_all, tasks
    from costcalc.latency import adapter, speed

    if name not in completion.experiment_names():
        valid = ", ".join(completion.experiment_names())
        raise UsageError(f"unknown experiment {name!r}; valid: {valid}")
    if only or list_:
        raise UsageError(f"--experiment {name} takes no --only or --list")
    if name in tasks.TASKS:
        typer.echo(render_all(tasks.run(model, name), format.value, exact=exact), nl=False)
        return
    if zoo.canonical(model) != "mobilenet_v1":
        raise UsageError(f"--experiment speed is about MobileNet v1; got {model!r}")
    typer.echo(adapter.render(speed.tables(), format.value, exact), nl=False)
