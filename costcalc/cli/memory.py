"""``costcalc memory MODEL``: activation and weight bytes, inference peak, grouped bottlenecks."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import completion, options
from costcalc.render import Format

DTYPE = typer.Option(None, "--dtype", "-t", autocompletion=completion.dtype,
                     help="Element type: fp32, fp16, bf16 or int8 (default fp32; fp16 with "
                          "--by-resolution, as the v2 paper assumes).")


def memory(
    models: list[str] = typer.Argument(..., metavar="MODEL...", autocompletion=completion.model,
                                       help="Zoo name (v1, v2, ...) or spec path; several only "
                                            "with --by-resolution."),
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    dtype: Optional[str] = DTYPE,
    split: Optional[str] = typer.Option(None, "--split", "-g", metavar="G|max",
                                        help="Process each inverted residual's tM expanded "
                                             "channels in G groups (max: G = tM); per-block "
                                             "and model peaks with and without splitting."),
    tradeoff: bool = typer.Option(False, "--tradeoff",
                                  help="Peaks and price for G = 1, 2, 4, ..., tM on one block "
                                       "(--block) and on the whole model."),
    block: Optional[str] = typer.Option(None, "--block",
                                        help="Block for --tradeoff (default: the one with the "
                                             "largest unsplit peak)."),
    by_resolution: bool = typer.Option(False, "--by-resolution",
                                       help="The v2 paper's Table 3: widest materialised tensor "
                                            "and its memory (K = 1000 B) at each resolution."),
    columns: options.ColumnNames = None,
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """Per-layer activation and weight bytes of MODEL and its peak inference memory.

    The peak comes from a liveness walk in execution order (a tensor lives until its last
    consumer; the input image counts; conv+BN+act are one node, element-wise nodes work in
    place, views allocate nothing), next to the v2 paper's per-op bound (inputs + output).

    Examples:

        costcalc memory v2 --dtype fp16

        costcalc memory v1 v2 --by-resolution

        costcalc memory v2 --split max

        costcalc memory v2 --tradeoff --block b2 --format markdown
    """
    from costcalc.cli.memory_output import memory_text

    typer.echo(memory_text(models, alpha, res, classes, set_, dtype, format, exact, proposals,
                           model_input, allow_unknown, split, tradeoff, block, by_resolution,
                           columns, caption, label, no_notes), nl=False)
