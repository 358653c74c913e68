"""Calibration figures of the shipped profiles on the shipped measurements (docs/latency.md).

For each device column: the shipped profile's MAPE against MACs-only and MACs + constant fits,
the same three under leave-one-out (each row predicted by a fit on the others), and a split test
(fit on one family, predict another: v1 -> v2 on the Pixel 3 columns, v3 -> v2 on the Pixel 1).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from costcalc.latency import adapter, calibrate, devices
from costcalc.latency.model import predict

DATA = Path(__file__).resolve().parent / "data"
# (measurements, profile, training family for the split test)
COLUMNS = [
    ("pixel3-cpu4-fp32", "pixel3-cpu4-tflite", "v1"),
    ("pixel3-gpu-fp32", "pixel3-gpu-tflite", "v1"),
    ("pixel3-nnapi-fp32", "pixel3-nnapi-tflite", "v1"),
    ("pixel3-cpu4-int8", "pixel3-cpu4-tflite-int8", "v1"),
    ("pixel3-nnapi-int8", "pixel3-nnapi-tflite-int8", "v1"),
    ("pixel1-v3paper", "pixel1-bigcore-tflite", "v3"),
]
COLUMN_TITLES = [
    ("column", "measurements", "text"), ("n", "n", "count"),
    ("model", "model MAPE %", "ratio"), ("macs", "MACs-only %", "ratio"),
    ("const", "MACs+const %", "ratio"), ("loo_model", "LOO model %", "ratio"),
    ("loo_macs", "LOO MACs-only %", "ratio"), ("loo_const", "LOO MACs+const %", "ratio"),
    ("split", "split", "text"), ("split_model", "split model %", "ratio"),
    ("split_macs", "split MACs-only %", "ratio"), ("split_const", "split MACs+const %", "ratio"),
]


def column(name: str, profile_name: str, family: str, loo: bool = True) -> dict[str, Any]:
    """The figures of one device column."""
    profile = devices.get(profile_name)
    samples, dtype = calibrate.read_measurements(str(DATA / f"{name}.csv"), None,
                                                 profile.fusion, profile.runtime)
    measured = [s.seconds for s in samples]
    predicted = [predict(s.layers, profile, dtype, profile.fusion, profile.runtime,
                         s.costs).total for s in samples]
    row: dict[str, Any] = {
        "column": name, "n": len(samples), "model": calibrate.mape(predicted, measured),
        "macs": calibrate.mape(calibrate.baseline(samples, False), measured),
        "const": calibrate.mape(calibrate.baseline(samples, True), measured)}
    if loo:
        errors = calibrate.leave_one_out(samples, profile, dtype, profile.fusion,
                                         profile.runtime)
        row.update(loo_model=errors["model"], loo_macs=errors["macs"],
                   loo_const=errors["macs+constant"])
    train = [s for s in samples if s.model.startswith(family)]
    test = [s for s in samples if not s.model.startswith(family)]
    result = calibrate.fit(train, profile, dtype, profile.fusion, profile.runtime)
    held = [predict(s.layers, result.device, dtype, profile.fusion, profile.runtime,
                    s.costs).total for s in test]
    truth = [s.seconds for s in test]
    row.update(split=f"fit {len(train)} {family}, test {len(test)} "
                     f"({', '.join(s.label for s in test)})",
               split_model=calibrate.mape(held, truth),
               split_macs=calibrate.mape(calibrate.baseline_predict(train, test, False), truth),
               split_const=calibrate.mape(calibrate.baseline_predict(train, test, True), truth))
    return row


def table(loo: bool = True) -> Any:
    rows = [column(*c, loo=loo) for c in COLUMNS]
    footer = ["MAPE = mean absolute percentage error of predicted vs measured latency; model = "
              "the shipped profile; MACs-only t = c * MACs and MACs+const t = a + c * MACs are "
              "fitted on the same rows (least squares on relative error)",
              "LOO: each row predicted by a fit on the other rows; split: fit on one family, "
              "predict the rows of the others"]
    return adapter.table("Calibration of the shipped profiles", COLUMN_TITLES, rows, footer)


def older_runtime() -> Any:
    """The v2 paper's Pixel 1 column (an older TFLite) predicted by the v3-paper fit."""
    profile = devices.get("pixel1-bigcore-tflite")
    samples, dtype = calibrate.read_measurements(str(DATA / "pixel1-v2paper.csv"), None,
                                                 profile.fusion, profile.runtime)
    rows = []
    for s in samples:
        time = predict(s.layers, profile, dtype, profile.fusion, profile.runtime, s.costs).total
        rows.append({"measurement": s.label, "measured_ms": s.seconds * 1e3,
                     "predicted_ms": round(time * 1e3, 2),
                     "error": round(100 * (time - s.seconds) / s.seconds, 1)})
    return adapter.table(
        "Pixel 1, MobileNetV2 paper (older TFLite) vs the profile fitted on the v3 paper",
        [("measurement", "measurement", "text"), ("measured_ms", "measured ms", "number"),
         ("predicted_ms", "predicted ms", "number"), ("error", "error %", "number")], rows)
