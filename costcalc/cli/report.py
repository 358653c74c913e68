"""``costcalc report MODEL`` (also plain ``costcalc MODEL``): the per-layer cost report."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import completion, options
from costcalc.render import Format

def report(
    model: options.Model,
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    depth: int = typer.Option(2, "--depth", "-d",
                              help="0 = totals only, 1 = one row per block, 2 = every layer."),
    flops: bool = typer.Option(False, "--flops",
                               help="Add a FLOPs column (the convention's FLOP rule; "
                                    "2 x MACs by default). On by itself for conventions whose "
                                    "tool reports FLOPs (flopcounter, calflops-flops)."),
    memory: bool = typer.Option(False, "--memory", "-m",
                                help="Add activation and weight bytes per layer and the "
                                     "inference peak (see costcalc memory)."),
    dtype: Optional[str] = typer.Option(None, "--dtype", "-t", autocompletion=completion.dtype,
                                        help="Element type for --memory: fp32 (default), fp16, "
                                             "bf16 or int8; implies --memory."),
    columns: options.ColumnNames = None,
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """Per-layer MACs, parameters and activations of MODEL, grouped by block, with totals.

    Each block row carries its subtotal and, for depthwise-separable pairs, inverted residuals
    and bnecks, its cost against the standard convolution it replaces, next to the notes'
    1/N + 1/K^2. The footer gives totals, the convention, the resolved parameters and the
    cost by op class (the v1 paper's Table 2).

    Example:

        costcalc v2 --alpha 0.5 --res 160

        costcalc report v1 --depth 1 --format markdown

        costcalc v3-small --set flavor=torchvision --format json

        costcalc v2 --columns name,input,output,kernel,stride,groups,macs,inputs
    """
    from costcalc.cli.report_output import report_pieces

    for text in report_pieces(model, alpha, res, classes, set_, convention, depth, flops, memory,
                              dtype, format, exact, columns, caption, label, no_notes,
                              model_input, allow_unknown, proposals):
        typer.echo(text, nl=False)
