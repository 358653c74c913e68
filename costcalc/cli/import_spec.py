"""``costcalc import MODEL``: an editable spec in costcalc's language, written to stdout."""
from __future__ import annotations

import typer

from costcalc.cli import options


def import_spec(
    model: options.Model,
    res: options.Res = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
) -> None:
    """Write MODEL (an .onnx file, or any model) as a spec that re-analyses to identical counts.

    Branches become residual, parallel and se entries; runs of identical entries one entry
    with repeat. Add parameters (alpha, resolution) to the spec to get formulas, sweeps and
    solve on your own network. Symbolic input dimensions need --input NAME:1x3xHxW or --res.

    Example:

        costcalc import model.onnx > mynet.yaml

        costcalc mynet.yaml
    """
    from costcalc.api import load
    from costcalc.importers.spec_text import spec_text

    spec = load(model)
    graph = spec.build(spec.resolve(options.overrides(None, res, None, set_, model_input,
                                                      allow_unknown, proposals, (model,))))
    typer.echo(spec_text(graph, getattr(spec, "source", "") or model), nl=False)
