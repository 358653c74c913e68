"""``costcalc plot KIND MODEL... --out FILE``: charts drawn from the commands' JSON data."""
from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from costcalc.cli import completion, options


class Kind(str, Enum):
    """The charts ``costcalc plot`` draws."""

    layers = "layers"
    sweep = "sweep"
    pareto = "pareto"
    memory = "memory"
    diagram = "diagram"
    formula = "formula"


def plot(
    kind: Kind = typer.Argument(..., help="layers, sweep, pareto, memory, diagram or formula."),
    models: Optional[list[str]] = typer.Argument(
        None, metavar="MODEL...", help="Zoo name, spec path or MODEL:NAME=VALUE,...",
        autocompletion=completion.variant),
    out: str = typer.Option(..., "--out", "-o",
                            help="Output file: .svg (chart), .html (chart in a page), .tex "
                                 "(pgfplots, sweep and pareto), .png or .pdf (need matplotlib: "
                                 "pip install 'costcalc[plot]')."),
    alpha: options.Alphas = None,
    res: options.Reses = None,
    classes: options.ClassesList = None,
    proposals: options.ProposalsList = None,
    set_: options.SetLists = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    accuracy: Optional[str] = typer.Option(None, "--accuracy",
                                           help="pareto: a published set (v1-paper, v1-slim, "
                                                "v2-slim, v3-paper, v3-slim) or a CSV/YAML "
                                                "file of variant,top1."),
    split: Optional[str] = typer.Option(None, "--split", "-g", metavar="G|max",
                                        help="memory: also the peaks with the expansion split "
                                             "in G groups."),
    dtype: Optional[str] = typer.Option(None, "--dtype", "-t", autocompletion=completion.dtype,
                                        help="memory: fp32 (default), "
                                                                   "fp16, bf16 or int8."),
    block: Optional[str] = typer.Option(None, "--block",
                                        help="diagram: draw one block (e.g. b2) instead of the "
                                             "whole model."),
) -> None:
    """Draw a chart of MODEL from the same data its command prints with --format json.

    Kinds: layers (per-layer MACs and params by op class), sweep (cost against alpha per
    resolution, and a heat map), pareto (top-1 against MACs and params), memory (live bytes
    along execution order, peak marked), diagram (layer graph with shapes), formula (ideal
    closed form against the exact count across alpha).

    Examples:

        costcalc plot layers v2 --out v2.svg

        costcalc plot sweep v1 --alpha 1,0.75,0.5,0.25 --res 224,192,160,128 --out sweep.svg

        costcalc plot pareto v1 --accuracy v1-slim --out figure4.svg

        costcalc plot memory v2 --split max --out memory.svg
    """
    from pathlib import Path

    from costcalc.errors import UsageError
    from costcalc.plot import build

    suffix = Path(out).suffix.lower()
    if suffix not in (".svg", ".html", ".htm", ".tex", ".png", ".pdf"):
        raise UsageError(f"--out {out!r}: write .svg, .html, .tex (pgfplots), or .png/.pdf "
                         "(with matplotlib installed)")
    if suffix in (".png", ".pdf"):
        from costcalc.plot import raster

        if not raster.available():  # before any work
            raster.render("", suffix[1:])
    from costcalc.costing import variants

    sets = options.proposal_sets(options.model_file_sets(set_, model_input, allow_unknown),
                                 proposals, models or [])
    axes = variants.axes(alpha, res, classes, sets)
    request = build.Request(kind.value, list(models or []), axes, convention, accuracy, split,
                            dtype, block)
    text = build.output(request, suffix)
    content = text if isinstance(text, bytes) else text.encode("utf-8")
    try:
        Path(out).write_bytes(content)
    except OSError as exc:
        raise UsageError(f"cannot write {out!r}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out} ({len(content):,} bytes)")
