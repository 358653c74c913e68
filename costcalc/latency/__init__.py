"""Latency model: roofline time per layer from exact work and bytes, device profiles, calibration.

``predict_model("v1", "pixel3-cpu4-tflite", alpha="0.5")`` gives a ``Prediction`` (per-layer
times and the total). The engine is reached only through ``costcalc.latency.adapter``.
"""
from __future__ import annotations

from typing import Any


def predict_model(model: str, device: str, dtype: str | None = None, fusion: str | None = None,
                  runtime: str | None = None, **parameters: Any):
    """Predicted latency of zoo model or spec ``model`` on shipped or file ``device``."""
    from costcalc.latency import adapter, devices
    from costcalc.latency.model import predict

    profile = devices.get(device)
    return predict(adapter.model_records(model, parameters), profile, dtype, fusion, runtime)
