"""The notes' speed claims as numbers: separable vs standard convs, Caffe's grouped conv, VGG16.

``costcalc ablate v1 --experiment speed``. Three tables:

1. Per v1 layer: the standard 3x3 conv against the depthwise separable pair that replaces it, in
   MACs (the 8-9x of 1/N + 1/K^2) and in predicted time on a modern runtime (TFLite on a Pixel 3
   CPU, a dedicated depthwise kernel) and under Caffe's grouped convolution on a GTX 1060 (one
   GEMM launch per channel), where the launches eat the gain.
2. Caffe's grouped convolution against a dedicated depthwise kernel for the whole of v1, beside
   the users' measurements (35 ms vs 5 ms on a GTX 1060, 130 ms vs 128 ms on a desktop CPU).
3. VGG16 against v1: MACs (the notes' 27x) and predicted time on every shipped device.
"""
from __future__ import annotations

from typing import Any

from costcalc.latency import adapter, devices
from costcalc.latency.model import predict

# ``ablate --experiment NAME``: the experiments this module answers
EXPERIMENTS = {"speed": "v1: separable vs standard, VGG16 vs v1, in latency"}
MODERN = "pixel3-cpu4-tflite"
CAFFE_GPU = "gtx1060-caffe"
CAFFE_CPU = "desktop-i7-8700k"
USERS = "farmingyard/caffe-mobilenet issue 2 (model and batch not stated: an order of magnitude)"


def _block_times(layers, device: str, **options: Any) -> tuple[dict[str, float], float]:
    prediction = predict(layers, devices.get(device), **options)
    times: dict[str, float] = {}
    for layer in prediction.layers:
        times[layer.record.block] = times.get(layer.record.block, 0.0) + layer.time
    return times, prediction.total


def _macs(layers) -> dict[str, int]:
    result: dict[str, int] = {}
    for record in layers:
        result[record.block] = result.get(record.block, 0) + record.macs
    return result


def per_layer() -> Any:
    separable = adapter.model_records("v1")
    standard = adapter.model_records("v1", {"separable": "false"})
    macs_sep, macs_std = _macs(separable), _macs(standard)
    modern_sep, _ = _block_times(separable, MODERN)
    modern_std, _ = _block_times(standard, MODERN)
    caffe_sep, _ = _block_times(separable, CAFFE_GPU)
    caffe_std, _ = _block_times(standard, CAFFE_GPU)
    rows = []
    for block in macs_sep:
        if not block.startswith("sep"):
            continue
        rows.append({
            "layer": block, "macs_std": macs_std[block], "macs_sep": macs_sep[block],
            "macs_x": macs_std[block] / macs_sep[block],
            "modern_std": modern_std[block] * 1e6, "modern_sep": modern_sep[block] * 1e6,
            "modern_x": modern_std[block] / modern_sep[block],
            "caffe_std": caffe_std[block] * 1e6, "caffe_sep": caffe_sep[block] * 1e6,
            "caffe_x": caffe_std[block] / caffe_sep[block]})
    total = {k: sum(r[k] for r in rows) for k in ("macs_std", "macs_sep", "modern_std",
                                                  "modern_sep", "caffe_std", "caffe_sep")}
    rows.append(adapter.Row({"layer": "all separable layers", **total,
                             "macs_x": total["macs_std"] / total["macs_sep"],
                             "modern_x": total["modern_std"] / total["modern_sep"],
                             "caffe_x": total["caffe_std"] / total["caffe_sep"]}, style="total"))
    columns = [("layer", "layer", "text"), ("macs_std", "std MACs", "count"),
               ("macs_sep", "dw+pw MACs", "count"), ("macs_x", "MACs x", "ratio"),
               ("modern_std", f"std us ({MODERN})", "number"),
               ("modern_sep", "dw+pw us", "number"), ("modern_x", "time x", "ratio"),
               ("caffe_std", f"std us ({CAFFE_GPU})", "number"),
               ("caffe_sep", "dw+pw us", "number"), ("caffe_x", "time x", "ratio")]
    footer = ["std = the standard 3x3 conv each separable pair replaces (v1 --set separable=false); "
              "x = standard / separable; MACs x is the notes' 1/(1/N + 1/K^2), 8-9x for 3x3",
              f"{MODERN}: TFLite, dedicated depthwise kernel, BN and ReLU fused; {CAFFE_GPU}: "
              "Caffe, a depthwise layer of C channels = im2col + C GEMM launches, BN/Scale/ReLU "
              "as separate layers"]
    return adapter.table("v1 separable vs standard per layer: MACs and predicted time",
                         columns, rows, footer)


def grouped_vs_depthwise() -> Any:
    layers = adapter.model_records("v1")
    rows = []
    for device, measured in ((CAFFE_GPU, ("35", "5")), (CAFFE_CPU, ("130", "128"))):
        grouped = predict(layers, devices.get(device), runtime="caffe-group", fusion="none")
        direct = predict(layers, devices.get(device), runtime="direct", fusion="none")
        launches = sum(layer.cost.launches for layer in grouped.layers)
        rows.append({"device": device, "grouped_ms": grouped.total * 1e3,
                     "direct_ms": direct.total * 1e3, "x": grouped.total / direct.total,
                     "launches": launches,
                     "measured": f"{measured[0]} ms vs {measured[1]} ms"})
    columns = [("device", "device", "text"), ("grouped_ms", "caffe-group ms", "number"),
               ("direct_ms", "depthwise kernel ms", "number"), ("x", "x", "ratio"),
               ("launches", "launches (grouped)", "count"),
               ("measured", "users measured", "text")]
    footer = [f"v1 1.0 224, fusion none (Caffe's separate BN/Scale/ReLU layers); measured: {USERS}",
              f"{CAFFE_CPU} is a generic GEMM-runtime profile with assumed efficiencies, not "
              "Caffe's CPU path (users' 128 ms says Caffe's CPU convolution is several times "
              "slower); on a CPU a launch is a function call, so grouping costs little there"]
    return adapter.table("Caffe grouped convolution vs a dedicated depthwise kernel (v1)",
                         columns, rows, footer)


def vgg_vs_v1() -> Any:
    v1 = adapter.model_records("v1")
    vgg = adapter.model_records("vgg16")
    macs_v1, macs_vgg = sum(r.macs for r in v1), sum(r.macs for r in vgg)
    rows = [{"device": "MACs", "vgg": macs_vgg, "v1": macs_v1, "x": macs_vgg / macs_v1}]
    for name in devices.shipped():
        device = devices.get(name)
        if device.dtype not in ("fp32", "fp16"):
            continue
        a = predict(vgg, device).total
        b = predict(v1, device).total
        rows.append({"device": f"{name} ms", "vgg": a * 1e3, "v1": b * 1e3, "x": a / b})
    columns = [("device", "measure", "text"), ("vgg", "VGG16", "number"),
               ("v1", "MobileNet v1", "number"), ("x", "VGG16 / v1", "ratio")]
    footer = ["the notes: about 27x less compute than VGG16 for similar accuracy. The time ratio "
              "departs from the MACs ratio: smaller where launches or memory traffic dominate "
              "(GPUs at batch 1, Caffe's grouped convs), larger where a profile's standard-conv "
              "efficiency is below its pointwise one (pixel3-cpu4-tflite: eta.conv was fitted on "
              "v1's single stem conv, so VGG16 is an extrapolation)",
              "int8 profiles left out (no int8 VGG16 measurements to compare with)"]
    return adapter.table("VGG16 vs MobileNet v1 (224, 1000 classes): MACs and predicted time",
                         columns, rows, footer)


def tables() -> list[Any]:
    return [per_layer(), grouped_vs_depthwise(), vgg_vs_v1()]
