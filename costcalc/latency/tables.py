"""Latency results as neutral tables (every --format): per-layer predictions and calibrations."""
from __future__ import annotations

from typing import Any

from costcalc.latency import adapter
from costcalc.latency.adapter import numbers
from costcalc.latency.calibrate import Fit, baseline, mape
from costcalc.latency.model import TERMS, Device, Prediction

LAYER_COLUMNS = [
    ("layer", "layer", "text"), ("op", "op", "text"), ("work", "MACs/ops", "count"),
    ("bytes", "bytes", "count"), ("launches", "launches", "count"),
    ("intensity", "MACs/byte", "ratio"), ("ridge", "ridge", "ratio"), ("bound", "bound", "text"),
    ("time_us", "time us", "number"), ("share", "share", "percent"),
]


def _us(seconds: float) -> float:
    return seconds * 1e6


def layers_table(prediction: Prediction, model: str, parameters: dict) -> Any:
    """One row per layer that costs time (views and fused BN/activations left out), and totals."""
    total = prediction.total
    rows = []
    records = []
    for layer in prediction.layers:
        cost = layer.cost
        entry = {"layer": layer.record.name, "op": cost.op, "work": cost.work,
                 "bytes": cost.bytes, "launches": cost.launches,
                 "intensity": float(cost.intensity) if cost.intensity is not None else None,
                 "ridge": layer.ridge, "bound": layer.bound, "time_us": _us(layer.time),
                 "share": 100 * layer.time / total if total else 0.0}
        records.append({**entry, "compute_us": _us(layer.compute), "memory_us": _us(layer.memory),
                        "launch_us": _us(layer.launch), "im2col_bytes": cost.im2col,
                        "macs": layer.record.macs})
        if layer.time:
            rows.append(entry)
    work = sum(r["work"] for r in records)
    nbytes = sum(r["bytes"] for r in records)
    rows.append({"layer": "fixed overhead", "time_us": _us(prediction.fixed),
                 "share": 100 * prediction.fixed / total if total else 0.0})
    rows.append(adapter.Row({"layer": "total", "work": work, "bytes": nbytes,
                             "launches": sum(r["launches"] for r in records),
                             "intensity": work / nbytes if nbytes else None,
                             "time_us": _us(total), "share": 100.0}, style="total"))
    device = prediction.device
    shown = ", ".join(f"{k}={show_value(v)}" for k, v in parameters.items())
    bounds = {}
    for layer in prediction.layers:
        if layer.time:
            bounds[layer.bound] = bounds.get(layer.bound, 0.0) + layer.time
    split = ", ".join(f"{b} {100 * t / total:.1f}%" for b, t in sorted(bounds.items()))
    footer = [
        f"total {total * 1e3:.3f} ms on {device.name} ({device.description}); "
        f"dtype {prediction.dtype}, fusion {prediction.fusion}, runtime {prediction.runtime}",
        f"time by bound: {split}" if split else "time by bound: -",
        f"peak {show_value(device.peak[prediction.dtype])} GMAC/s, bandwidth "
        f"{show_value(device.bandwidth)} GB/s, launch {show_value(device.t_launch)} us, "
        f"fixed {show_value(device.t_fixed)} ms (sources: costcalc latency --device "
        f"{device.name} --sources)",
        f"model {model} ({shown}); MACs/ops = multiply-adds, or element operations of "
        "element-wise layers; ridge = the device's MACs/byte where compute = memory time",
    ]
    data = {"model": model, "parameters": {k: show_value(v) for k, v in parameters.items()},
            "device": device.name, "dtype": prediction.dtype, "fusion": prediction.fusion,
            "runtime": prediction.runtime, "total_ms": total * 1e3,
            "fixed_ms": prediction.fixed * 1e3, "macs": prediction.macs, "layers": records}
    return adapter.table(f"Predicted latency of {model} on {device.name}", LAYER_COLUMNS, rows,
                         footer, data)


def show_value(value: Any) -> Any:
    """An exact number as a user would write it (0.75, 1/3)."""
    from fractions import Fraction

    if isinstance(value, Fraction):
        return numbers.short_text(value, 6)
    return value


def sources_table(device: Device) -> Any:
    """Every value of a profile with its source."""
    rows = []
    for dtype, value in device.peak.items():
        rows.append({"field": f"peak.{dtype}", "value": show_value(value), "unit": "GMAC/s",
                     "source": device.sources.get(f"peak.{dtype}", "")})
    rows.append({"field": "bandwidth", "value": show_value(device.bandwidth), "unit": "GB/s",
                 "source": device.sources.get("bandwidth", "")})
    for op, value in device.eta.items():
        rows.append({"field": f"eta.{op}", "value": show_value(value), "unit": "of peak",
                     "source": device.sources.get(f"eta.{op}", "")})
    for key, unit in (("eta_memory", "of bandwidth"), ("t_launch", "us"), ("t_fixed", "ms")):
        rows.append({"field": key, "value": show_value(getattr(device, key)), "unit": unit,
                     "source": device.sources.get(key, "")})
    columns = [("field", "field", "text"), ("value", "value", "text"), ("unit", "unit", "text"),
               ("source", "source", "text")]
    footer = [f"{device.name}: {device.description}; defaults dtype {device.dtype}, fusion "
              f"{device.fusion}, runtime {device.runtime}; file {device.origin}"]
    return adapter.table(f"Device profile {device.name}", columns, rows, footer)


def calibration_tables(result: Fit, before: Device, path: str,
                       loo: dict[str, float] | None = None) -> list[Any]:
    """Measured vs predicted per row, the fitted terms, and the error summary with baselines."""
    samples = result.samples
    measured = [s.seconds for s in samples]
    macs_only = baseline(samples, False)
    with_constant = baseline(samples, True)
    def ms(values, i):
        return None if values is None else round(values[i] * 1e3, 4)

    rows = [{"measurement": s.label, "line": s.line, "macs": s.macs,
             "measured_ms": s.seconds * 1e3, "predicted_ms": round(p * 1e3, 4),
             "error": round(e, 2), "macs_only_ms": ms(macs_only, i),
             "macs_constant_ms": ms(with_constant, i)}
            for i, (s, p, e) in enumerate(zip(samples, result.predicted, result.errors))]
    first = adapter.table(
        f"Calibration of {result.device.name} on {path}",
        [("measurement", "measurement", "text"), ("line", "line", "count"),
         ("macs", "MACs", "count"), ("measured_ms", "measured ms", "number"),
         ("predicted_ms", "model ms", "number"), ("error", "error %", "number"),
         ("macs_only_ms", "MACs-only ms", "number"),
         ("macs_constant_ms", "MACs+const ms", "number")], rows)
    theta_rows = []
    for term in TERMS:
        theta_rows.append({"term": term, "before": show_value(_value(before, term)),
                           "after": show_value(_value(result.device, term)),
                           "status": "fitted" if term in result.fitted else
                           f"kept: {result.kept.get(term, 'not requested')}"})
    second = adapter.table("Fitted terms", [("term", "term", "text"), ("before", "before", "text"),
                                            ("after", "after", "text"),
                                            ("status", "status", "text")], theta_rows)
    summary = [{"model": "roofline (this fit)", "mape": result.mape,
                "loo": loo.get("model") if loo else None},
               {"model": "MACs only: t = c * MACs", "mape": _mape(macs_only, measured),
                "loo": loo.get("macs") if loo else None},
               {"model": "MACs + constant: t = a + c * MACs",
                "mape": _mape(with_constant, measured),
                "loo": loo.get("macs+constant") if loo else None}]
    third = adapter.table(
        "Mean absolute percentage error", [("model", "model", "text"),
                                           ("mape", "MAPE %", "ratio"),
                                           ("loo", "leave-one-out MAPE %", "ratio")],
        summary, [f"{len(samples)} measurement{'s' if len(samples) != 1 else ''}; least squares on relative errors; "
                  f"{result.rounds} rounds of bound assignment; an empty cell: the "
                  "measurements cannot determine that baseline"])
    return [first, second, third]


def _mape(predicted: list[float] | None, measured: list[float]) -> float | None:
    return None if predicted is None else mape(predicted, measured)


def _value(device: Device, term: str) -> Any:
    if term.startswith("eta."):
        return device.eta[term[4:]]
    return getattr(device, term)

