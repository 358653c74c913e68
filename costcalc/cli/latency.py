"""``costcalc latency MODEL --device NAME`` and ``costcalc latency calibrate FILE --device NAME``."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from costcalc.cli import completion, options
from costcalc.render import Format

DEVICE = typer.Option(None, "--device", "-D", autocompletion=completion.device,
                      help="Shipped device profile (pixel3-cpu4-tflite, pixel3-gpu-tflite, "
                           "gtx1060-caffe, h100-sxm-batch1, ...; an unknown name lists them all) "
                           "or a YAML profile file (docs/latency.md).")
DTYPE = typer.Option(None, "--dtype", "-t", help="fp32, fp16 or int8 (default: the device's).",
                     autocompletion=completion.dtype)
FUSION = typer.Option(None, "--fusion",
                      help="none, conv-bn-act or block (default: the device's).")
RUNTIME = typer.Option(None, "--runtime",
                       help="gemm, caffe-group or direct (default: the device's).")


def latency(
    model: Annotated[str, typer.Argument(help="Zoo name or spec path; or 'calibrate' then a "
                                              "CSV file of measurements.",
                                         autocompletion=completion.latency_model)],
    measurements: Optional[str] = typer.Argument(None, metavar="[CSV]",
                                                 help="With 'calibrate': the measurements."),
    device: Optional[str] = DEVICE,
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    dtype: Optional[str] = DTYPE,
    fusion: Optional[str] = FUSION,
    runtime: Optional[str] = RUNTIME,
    sources: bool = typer.Option(False, "--sources",
                                 help="Show the device profile's values and their sources."),
    fit: Optional[str] = typer.Option(None, "--fit", metavar="TERM,...",
                                      help="calibrate: terms to fit (eta.conv, eta.depthwise, "
                                           "eta.pointwise, eta.linear, eta.elementwise, "
                                           "eta_memory, t_launch, t_fixed); default: every "
                                           "term the data identify."),
    output: Optional[str] = typer.Option(None, "--output", "-o",
                                         help="calibrate: write the fitted profile to this "
                                              "YAML file."),
    loo: bool = typer.Option(False, "--loo",
                             help="calibrate: add leave-one-out errors (one fit per row)."),
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """Predicted latency of MODEL on a device: a roofline per layer plus launches and overhead.

    Per layer: MACs (or element ops), bytes moved, kernel launches, arithmetic intensity, the
    device's ridge point, which bound applies (compute, memory or launch), time and share.
    docs/latency.md explains the model and each profile's sources.

    Examples:

        costcalc latency v1 --device pixel3-cpu4-tflite --alpha 0.5 --res 160

        costcalc latency v1 --device gtx1060-caffe --runtime direct

        costcalc latency calibrate mine.csv --device pixel3-cpu4-tflite --output mine.yaml
    """
    from costcalc.errors import UsageError
    from costcalc.latency import adapter, devices

    if model == "calibrate":
        if measurements is None:
            raise UsageError("calibrate needs a CSV file of measurements (columns model, ms, "
                             "and spec parameters such as alpha, resolution)")
        if device is None:
            raise UsageError("calibrate needs --device: the profile whose peak and bandwidth "
                             "to start from")
        _calibrate(measurements, devices.get(device), dtype, fusion, runtime, fit, output, loo,
                   format, exact)
        return
    if measurements is not None:
        raise UsageError(f"unexpected extra argument {measurements!r} (only 'calibrate' takes "
                         "a CSV file)")
    for flag, value in (("--fit", fit), ("--output", output), ("--loo", loo or None)):
        if value is not None:
            raise UsageError(f"{flag} goes with 'costcalc latency calibrate'")
    if device is None:
        raise UsageError(f"--device is required; shipped profiles: "
                         f"{', '.join(devices.shipped())}, or a YAML profile file")
    profile = devices.get(device)
    from costcalc.latency import tables

    if sources:
        typer.echo(adapter.render(tables.sources_table(profile), format.value, exact), nl=False)
        return
    from costcalc.latency.model import predict

    graph, values = adapter.build(model, options.overrides(
        alpha, res, classes, set_, model_input, allow_unknown, proposals, (model,)))
    prediction = predict(adapter.records(graph), profile, dtype, fusion, runtime)
    table = tables.layers_table(prediction, graph.name, values)
    typer.echo(adapter.render(table, format.value, exact), nl=False)


MAX_LOO = 200


def _calibrate(path, profile, dtype, fusion, runtime, fit, output, loo, format, exact):
    from pathlib import Path

    from costcalc.errors import UsageError

    from costcalc.latency import adapter, calibrate, devices, tables
    from costcalc.latency.model import FUSIONS, RUNTIMES, check_choice

    fusion = check_choice("fusion", fusion or profile.fusion, FUSIONS)
    runtime = check_choice("runtime", runtime or profile.runtime, RUNTIMES)
    if dtype is not None:
        profile.check_dtype(dtype)
    samples, dtype = calibrate.read_measurements(path, dtype, fusion, runtime)
    profile.check_dtype(dtype)
    terms = None
    if fit is not None:
        terms = list(dict.fromkeys(t.strip() for t in fit.split(",") if t.strip()))
        if not terms:
            raise UsageError("--fit needs at least one term (or leave it out: every term the "
                             "data identify)")
    if loo and len(samples) > MAX_LOO:
        raise UsageError(f"--loo refits once per measurement: at most {MAX_LOO} measurements, "
                         f"got {len(samples)}")
    label = f"costcalc latency calibrate on {Path(path).name} ({len(samples)} measurements)"
    result = calibrate.fit(samples, profile, dtype, fusion, runtime, terms, label)
    errors = calibrate.leave_one_out(samples, profile, dtype, fusion, runtime, terms) \
        if loo else None
    fitted = result.device.changed(dtype=dtype, fusion=fusion, runtime=runtime)
    if output is not None:
        try:
            Path(output).write_text(f"# fitted on {path}: MAPE {result.mape:.2f}%\n"
                                    + devices.to_yaml(fitted), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    typer.echo(adapter.render(tables.calibration_tables(result, profile, path, errors),
                              format.value, exact), nl=False)
