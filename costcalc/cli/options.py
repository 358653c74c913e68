"""Options shared by several commands, declared once as ``Annotated`` aliases, and turning them
into spec parameter overrides.

A command writes ``alpha: options.Alpha = None``; the alias carries the flag names and help, the
signature carries the default.
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from costcalc.cli import completion
from costcalc.cli.boundary import EXIT_BAD_INPUT  # noqa: F401 (commands read it from here)
from costcalc.cli.overrides import (  # noqa: F401 (shared by the commands)
    latex, model_file_sets, overrides, proposal_sets, select_columns)
from costcalc.render import Format

Model = Annotated[str, typer.Argument(help="Zoo name (v1, v2, v3-large, ...) or path to a YAML spec.",
                                      autocompletion=completion.model)]
Alpha = Annotated[Optional[str], typer.Option("--alpha", "-a",
                                              help="Width multiplier (spec parameter alpha).")]
Res = Annotated[Optional[str], typer.Option(
    "--res", "-r", help="Input resolution in pixels (spec parameter resolution).")]
Classes = Annotated[Optional[str], typer.Option(
    "--classes", help="Classifier outputs (spec parameter classes).")]
# Detectors with an ROI or second-stage head (frcnn_v1, fasterrcnn_mobilenet_v3_large_320_fpn)
# declare `proposals`: the head runs once per proposal, so its cost is counted only when asked.
Proposals = Annotated[Optional[str], typer.Option(
    "--proposals", metavar="N",
    help="Detectors with an ROI / second-stage head: count it for N proposals (spec parameter "
         "proposals, as --set proposals=N).")]
Sets = Annotated[Optional[list[str]], typer.Option(
    "--set", "-s", metavar="NAME=VALUE", help="Set any parameter the spec declares; repeatable.",
    autocompletion=completion.setting)]
# Parameters of imported model files (.onnx), on every command that takes a MODEL; a YAML spec
# declares no such parameter, so giving them with a spec is the usual unknown-parameter error.
ModelInput = Annotated[Optional[str], typer.Option(
    "--input", metavar="NAME:1x3xHxW",
    help="Model files (.onnx): the shape of input NAME, batch 1 (pins symbolic dimensions).")]
AllowUnknown = Annotated[bool, typer.Option(
    "--allow-unknown",
    help="Model files (.onnx): count ops with no layer kind as named zero-cost rows instead of "
         "refusing them.")]
ConventionName = Annotated[str, typer.Option(
    "--convention", "-c", help="Counting convention: paper, torchvision, keras, ...",
    autocompletion=completion.convention)]
OutputFormat = Annotated[Format, typer.Option(
    "--format", "-f", help="Output format: table, json, csv, markdown, latex, html (page with "
                           "charts) or pgfplots (sweep).")]
Exact = Annotated[bool, typer.Option(
    "--exact", "-e", help="Exact integers (300774272) instead of 300.77M in table, markdown and "
                          "latex output; json and csv are always exact.")]

Device = Annotated[Optional[str], typer.Option(
    "--device", "-D", help="Add predicted latency on this device profile (costcalc latency).",
    autocompletion=completion.device)]
DeviceDtype = Annotated[Optional[str], typer.Option(
    "--dtype", "-t", help="Element type for --device (default: the device's).",
    autocompletion=completion.dtype)]

ColumnNames = Annotated[Optional[str], typer.Option(
    "--columns", metavar="NAME[,NAME...]",
    help="Columns to show, in this order (keys or titles, comma-separated); an unknown name "
         "lists the table's columns.")]


Caption = Annotated[Optional[str], typer.Option(
    "--caption", help="LaTeX: the table's caption (default: its title).")]
Label = Annotated[Optional[str], typer.Option(
    "--label", help="LaTeX: a \\label for the table, e.g. tab:mobilenet.")]
NoNotes = Annotated[bool, typer.Option(
    "--no-notes", help="LaTeX: leave out the notes under the table.")]


from costcalc.limits import MAX_POINTS  # noqa: E402  (the default cap, shared with the library)
MaxPoints = Annotated[int, typer.Option(
    "--max-points", help="Refuse more parameter points than this (time and memory grow with them).")]

# The same parameters as axes (compare, sweep): comma-separated values.
Alphas = Annotated[Optional[str], typer.Option(
    "--alpha", "-a", metavar="A[,A...]", help="Width multipliers, comma-separated: 1,0.75,0.5,0.25.")]
Reses = Annotated[Optional[str], typer.Option(
    "--res", "-r", metavar="R[,R...]", help="Input resolutions, comma-separated: 224,192,160,128.")]
ClassesList = Annotated[Optional[str], typer.Option(
    "--classes", metavar="N[,N...]", help="Classifier outputs, comma-separated.")]
ProposalsList = Annotated[Optional[str], typer.Option(
    "--proposals", metavar="N[,N...]",
    help="Detectors with an ROI / second-stage head: proposals counted, comma-separated "
         "(spec parameter proposals, as --set proposals=N,...).")]
SetLists = Annotated[Optional[list[str]], typer.Option(
    "--set", "-s", metavar="NAME=V[,V...]",
    help="Any spec parameter and its values, comma-separated; repeatable.",
    autocompletion=completion.setting)]
