"""Refit the shipped device profiles on the shipped measurements and rewrite their YAML files.

Run from the source tree: ``python scripts/calibrate_devices.py``. Each profile is fitted with
``costcalc latency calibrate``'s fit (auto terms), repeated from its own result until the values
stop changing, so the shipped values are a fixed point of the fit (tests/test_latency_data.py
checks this). Terms the data cannot identify keep their value, labelled as assumed.
"""
from __future__ import annotations

import sys
from pathlib import Path

from costcalc.latency import calibrate, devices

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "costcalc" / "latency" / "data"
# profile -> (measurements, the profile it starts from, dtype)
CALIBRATED = {
    "pixel3-cpu4-tflite": ("pixel3-cpu4-fp32.csv", "pixel3-cpu4-tflite", "fp32"),
    "pixel3-cpu4-tflite-int8": ("pixel3-cpu4-int8.csv", "pixel3-cpu4-tflite", "int8"),
    "pixel3-gpu-tflite": ("pixel3-gpu-fp32.csv", "pixel3-gpu-tflite", "fp32"),
    "pixel3-nnapi-tflite": ("pixel3-nnapi-fp32.csv", "pixel3-nnapi-tflite", "fp32"),
    "pixel3-nnapi-tflite-int8": ("pixel3-nnapi-int8.csv", "pixel3-nnapi-tflite", "int8"),
    "pixel1-bigcore-tflite": ("pixel1-v3paper.csv", "pixel1-bigcore-tflite", "fp32"),
}
DESCRIPTIONS = {
    "pixel3-cpu4-tflite-int8": "Pixel 3 (Snapdragon 845), TFLite CPU, 4 big cores, int8 models",
    "pixel3-nnapi-tflite-int8": "Pixel 3 (Snapdragon 845), TFLite NNAPI delegate, int8 models",
}


def refit(name: str) -> str:
    csv_name, start, dtype = CALIBRATED[name]
    path = DATA / csv_name
    device = devices.get(str(ROOT / "costcalc" / "latency" / "devices" / f"{start}.yaml")
                         if name == start else start)
    device = device.changed(name=name, dtype=dtype,
                            description=DESCRIPTIONS.get(name, device.description))
    samples, _ = calibrate.read_measurements(str(path), dtype, device.fusion, device.runtime)
    for _ in range(10):
        result = calibrate.fit(samples, device, dtype, device.fusion, device.runtime)
        label = (f"costcalc latency calibrate on data/{csv_name} ({len(samples)} measurements), "
                 f"MAPE {result.mape:.2f}%")
        sources = dict(result.device.sources)
        for term in result.fitted:
            sources[term] = f"fitted: {label}"
        for term, reason in result.kept.items():
            old = sources.get(term, "")
            if old.startswith("initial"):
                sources[term] = f"assumed, not fitted: {reason}"
            elif old.startswith("fitted") and csv_name not in old:
                sources[term] = f"{old}; not refitted on data/{csv_name}: {reason}"
        fitted = result.device.changed(sources=sources)
        if fitted == device:
            break
        device = fitted
    # terms fitted in an earlier round carry that round's MAPE: give every one the final label
    final = calibrate.fit(samples, device, dtype, device.fusion, device.runtime)
    label = (f"fitted: costcalc latency calibrate on data/{csv_name} ({len(samples)} "
             f"measurements), MAPE {final.mape:.2f}%")
    prefix = f"fitted: costcalc latency calibrate on data/{csv_name} "
    device = device.changed(sources={k: (label if v.startswith(prefix) else v)
                                     for k, v in device.sources.items()})
    header = (f"# {name}: written by scripts/calibrate_devices.py from data/{csv_name}.\n"
              "# Peaks and bandwidth are datasheet values; efficiencies, launch time and overhead\n"
              "# are fitted where the data identify them (see each source).\n")
    return header + devices.to_yaml(device)


def main() -> None:
    names = sys.argv[1:] or list(CALIBRATED)
    for name in names:
        text = refit(name)
        (ROOT / "costcalc" / "latency" / "devices" / f"{name}.yaml").write_text(text)
        print(f"{name}: written")


if __name__ == "__main__":
    main()
