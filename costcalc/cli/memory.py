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
    from costcalc import api
    from costcalc.costing.conventions import get
    from costcalc.memory import tables as memory_tables
    from costcalc.errors import UsageError
    from costcalc.memory.liveness import dtype_bytes
    from costcalc.memory.split import parse_split
    from costcalc.render import reads_data, render

    chosen = dtype or ("fp16" if by_resolution else "fp32")
    dtype_bytes(chosen)
    if by_resolution and (tradeoff or split is not None):
        raise UsageError("--by-resolution cannot be combined with --split or --tradeoff")
    if len(models) > 1 and not by_resolution:
        raise UsageError("several models only with --by-resolution")
    if block is not None and not tradeoff:
        raise UsageError("--block goes with --tradeoff")
    if tradeoff and split is not None:
        raise UsageError("--tradeoff already runs every G; leave out --split")
    parameters = options.overrides(alpha, res, classes, set_, model_input,
                                   allow_unknown, proposals, models)
    graphs = []
    for model in models:
        spec = api.load(model)
        graphs.append(spec.build(api.resolve(spec, parameters, get("paper"))))
    graph = graphs[0]
    if by_resolution:
        table = memory_tables.resolution_table(graphs, chosen)
    elif tradeoff:
        table = memory_tables.tradeoff_table(graph, chosen, block)
    elif split is not None:
        table = memory_tables.split_table(graph, chosen, parse_split(split))
    else:
        table = memory_tables.layers_table(graph, chosen, data=reads_data(format))
    typer.echo(render(options.select_columns(table, columns), format, exact=exact,
                      **options.latex(caption, label, no_notes)), nl=False)
