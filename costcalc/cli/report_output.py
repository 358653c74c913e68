"""The report command's work without typer: option values in, the rendered report out.

``costcalc report`` (typer) and the fast path of ``costcalc MODEL`` both write
``report_pieces``, so their output is the same by construction; ``report_text`` joins them.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Optional

from costcalc.render import Format

from collections.abc import Iterator


def report_text(*args, **options) -> str:
    """The report of ``model`` as text in ``format`` (the ``report`` command's options)."""
    return "".join(report_pieces(*args, **options))


def report_pieces(model: str, alpha: Optional[str], res: Optional[str], classes: Optional[str],
                set_: Optional[list[str]], convention: str, depth: int, flops: bool,
                memory: bool, dtype: Optional[str], format: Format, exact: bool,
                columns: Optional[str] = None, caption: Optional[str] = None,
                label: Optional[str] = None, no_notes: bool = False,
                model_input: Optional[str] = None, allow_unknown: bool = False,
                proposals: Optional[str] = None) -> Iterator[str]:
    """``report_text`` in pieces: the model is analysed and its table made here (errors are
    raised by this call); the text comes as it is written (JSON a piece of layers at a time,
    so a large report is never held whole)."""
    from costcalc.api import analyze
    from costcalc.cli.overrides import latex, overrides, select_columns
    from costcalc.costing.report_table import report_table
    from costcalc.errors import UsageError
    from costcalc.render import reads_data, reads_rows, render_pieces

    if depth < 0:
        raise UsageError(f"--depth must be 0, 1 or 2, got {depth}")
    result = analyze(model, convention, **overrides(alpha, res, classes, set_, model_input,
                                                    allow_unknown, proposals, (model,)))
    extra = []
    if memory or dtype is not None:
        from costcalc.memory.tables import report_columns

        extra.append(report_columns(result, dtype or "fp32"))
    # A FLOP-counting tool's own number is the FLOPs column: show it without being asked.
    flops = flops or result.convention.unit == "FLOPs"
    table = report_table(result, depth=min(depth, 2), flops=flops, extra=extra,
                         data=reads_data(format), rows=reads_rows(format),
                         optional=columns is not None, lazy=Format(format) is Format.json)
    return render_pieces(select_columns(table, columns), format, exact=exact,
                         **latex(caption, label, no_notes))
