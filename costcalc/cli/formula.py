"""``costcalc formula MODEL`` (closed forms in alpha, rho, t) and ``costcalc solve MODEL``."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import completion, options
from costcalc.render import Format


def formula(
    model: options.Model,
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    sensitivity: bool = typer.Option(False, "--sensitivity",
                                     help="d(MACs)/d(alpha), d(MACs)/d(rho), ... and elasticities "
                                          "at the point, instead of the per-layer table."),
    all_layers: bool = typer.Option(False, "--all-layers",
                                    help="Also list layers that cost nothing (pools, adds, ...)."),
    latency: bool = typer.Option(False, "--latency",
                                 help="Arithmetic intensity (MACs per byte) of depthwise and "
                                      "pointwise layers in closed form, checked layer by layer "
                                      "against the latency model at --alpha/--res."),
    dtype: str = typer.Option("fp32", "--dtype", "-t", autocompletion=completion.dtype,
                              help="With --latency: element type (fp32, fp16, int8)."),
    symbols: Optional[str] = typer.Option(
        None, "--symbols", metavar="NAME[,NAME...]", autocompletion=completion.numeric_parameter,
        help="Also keep these numeric parameters symbolic (classes, anchors, proposals, ...): "
             "closed forms in them as well as alpha and rho."),
) -> None:
    """Closed-form MACs and params in alpha, rho (= resolution / 224) and t, per layer and total.

    Channels are ideal (alpha * c, no rounding) and feature maps ideal (H / s); the gap to the
    exact count at --alpha/--res is shown. max()/min() in the spec are resolved at that point.

    Examples:

        costcalc formula v2 --format latex

        costcalc formula ssdlite320_mobilenet_v3_large --symbols classes,anchors
    """
    from costcalc.errors import UsageError

    kept = [name.strip() for name in (symbols or "").split(",") if name.strip()]
    if symbols is not None and not kept:
        raise UsageError(f"--symbols takes NAME[,NAME...], got {symbols!r}")
    if kept and latency:
        raise UsageError("--symbols goes with the closed forms, not --latency")
    parameters = options.overrides(alpha, res, classes, set_, model_input, allow_unknown,
                                   proposals, (model,))
    if latency:
        _latency(model, parameters, dtype, format)
        return
    from costcalc.api import load
    from costcalc.symbolic.calculus import sensitivities
    from costcalc.symbolic.layers import layer_formulas
    from costcalc.symbolic.tables import collected, layer_table, sensitivity_table
    from costcalc.render import render
    from costcalc.symbolic.derive import derive

    spec = load(model)
    result = derive(spec, parameters, convention, kept)
    layers = layer_formulas(result, all_layers)
    rows = sensitivities(result) if sensitivity else None
    table = sensitivity_table(result, layers, rows) if sensitivity else layer_table(result, layers)
    if format == Format.latex:
        from costcalc.symbolic.latex import document

        typer.echo(document(result, collected(result, layers), table, rows,
                            **options.latex(caption, label, no_notes)), nl=False)
        return
    typer.echo(render(table, format, exact=True), nl=False)


def _latency(model: str, parameters: dict, dtype: str, format: Format) -> None:
    """``formula --latency``: the closed-form intensities and their check (costcalc.latency)."""
    from costcalc.latency import adapter, intensity
    from costcalc.latency.model import DTYPE_BYTES, check_choice

    check_choice("dtype", dtype, tuple(DTYPE_BYTES))
    typer.echo(adapter.render(intensity.tables(model, parameters, dtype), format.value, True),
               nl=False)


def solve(
    model: options.Model,
    macs: Optional[str] = typer.Option(None, "--macs", help="MAC budget, e.g. 150M or 1.5G."),
    params: Optional[str] = typer.Option(None, "--params", help="Parameter budget, e.g. 2M."),
    alpha: Optional[str] = typer.Option(
        None, "--alpha", "-a", help="Fix alpha and solve for the largest resolution instead."),
    res: Optional[str] = typer.Option(None, "--res", "-r",
                                      help="Resolution to solve alpha at (default: the spec's)."),
    step: int = typer.Option(8, "--step", help="Resolutions are multiples of this (8, 32, ...)."),
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    convention: options.ConventionName = "paper",
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    latency: Optional[str] = typer.Option(None, "--latency",
                                          help="Latency budget (20ms, 0.02s, 500us) on --device: "
                                               "the largest alpha (or resolution) predicted "
                                               "to fit."),
    device: Optional[str] = typer.Option(None, "--device", "-D", autocompletion=completion.device,
                                         help="Device profile for --latency."),
    dtype: Optional[str] = typer.Option(None, "--dtype", "-t", autocompletion=completion.dtype,
                                        help="Element type for --latency (default: the "
                                             "device's)."),
) -> None:
    """Largest alpha (or, with --alpha, resolution) whose MACs and/or params fit a budget.

    Answers both exactly (channel rounding, numeric search) and from the ideal closed form.

    Example: costcalc solve v2 --macs 150M --params 2M
    """
    from costcalc.api import load
    from costcalc.errors import UsageError
    from costcalc.symbolic.solve import parse_amount, solve as solve_budget
    from costcalc.symbolic.tables import solve_table
    from costcalc.render import render

    set_ = options.model_file_sets(set_, model_input, allow_unknown)
    if latency is not None or device is not None:
        _solve_latency(model, latency, device, dtype, macs, params, alpha, res, step, set_,
                       format, proposals)
        return
    budgets = {}
    if macs is not None:
        budgets["macs"] = parse_amount(macs, "--macs")
    if params is not None:
        budgets["params"] = parse_amount(params, "--params")
    if alpha is not None and res is not None:
        raise UsageError("give --alpha (to solve for the resolution) or --res (to solve for "
                         "alpha), not both")
    spec = load(model)
    overrides = options.overrides(alpha, res, None, set_, proposals=proposals, models=(model,))
    if "alpha" not in overrides and "resolution" in overrides and "alpha" not in spec.parameters:
        raise UsageError(f"{spec.name} has no 'alpha' to solve for; leave out --res to solve "
                         "for the resolution")
    solution = solve_budget(spec, budgets, overrides, convention, step)
    typer.echo(render(solve_table(solution), format, exact=True,
                      **options.latex(caption, label, no_notes)), nl=False)


def _solve_latency(model, latency, device, dtype, macs, params, alpha, res, step, set_,
                   format, proposals=None) -> None:
    """``solve --latency T --device NAME``: bisection on the latency model (costcalc.latency)."""
    from fractions import Fraction

    from costcalc.errors import UsageError
    from costcalc.latency import adapter, budget

    if latency is None or device is None:
        raise UsageError("--latency and --device go together")
    if macs is not None or params is not None:
        raise UsageError("give --latency or --macs/--params, not both")
    if alpha is not None and res is not None:
        raise UsageError("give --alpha (to solve for the resolution) or --res (to solve for "
                         "alpha), not both")
    if step < 1:
        raise UsageError(f"--step must be at least 1, got {step}")
    seconds = budget.parse_budget(latency)
    fixed = options.overrides(alpha, res, None, set_, proposals=proposals, models=(model,))
    solve_for = "resolution" if alpha is not None else "alpha"
    upper = Fraction(2) if solve_for == "alpha" else Fraction(1024)
    table = budget.solve(model, seconds, device, dtype, fixed, solve_for, step, upper)
    typer.echo(adapter.render(table, format.value, True), nl=False)
