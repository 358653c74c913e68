"""The memory command's work without typer: option values in, the rendered tables out.

``costcalc memory`` (typer) and the fast path of ``costcalc memory MODEL`` both call
``memory_text``, so their output is the same by construction.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the fast path's start-up
    from typing import Optional

from costcalc.render import Format


def memory_text(models: list[str], alpha: Optional[str], res: Optional[str],
                classes: Optional[str], set_: Optional[list[str]], dtype: Optional[str],
                format: Format, exact: bool, proposals: Optional[str] = None,
                model_input: Optional[str] = None, allow_unknown: bool = False,
                split: Optional[str] = None, tradeoff: bool = False, block: Optional[str] = None,
                by_resolution: bool = False, columns: Optional[str] = None,
                caption: Optional[str] = None, label: Optional[str] = None,
                no_notes: bool = False) -> str:
    """The memory tables of ``models`` as text in ``format`` (the ``memory`` command's options)."""
    from costcalc import api
    from costcalc.cli.overrides import latex, overrides, select_columns
    from costcalc.costing.conventions import get
    from costcalc.errors import UsageError
    from costcalc.memory import tables as memory_tables
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
    parameters = overrides(alpha, res, classes, set_, model_input, allow_unknown, proposals,
                           models)
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
    return render(select_columns(table, columns), format, exact=exact,
                  **latex(caption, label, no_notes))
