"""Device profiles: YAML files whose every value carries a ``source:``; shipped ones and user files.

A profile (see ``costcalc/latency/devices/*.yaml`` and docs/latency.md)::

    name: my-phone
    description: "what it is"
    base: pixel3-cpu4-tflite        # optional: start from a shipped profile, override fields
    dtype: fp32                      # defaults for --dtype, --fusion, --runtime
    fusion: conv-bn-act
    runtime: gemm
    peak:                            # GMAC/s (10^9 multiply-adds per second) per dtype
      fp32: {value: 89.6, source: "datasheet ..."}
    bandwidth: {value: 29.9, source: "..."}        # GB/s (10^9 bytes per second)
    eta:                                           # fraction of peak reached, per op class
      conv: {value: 0.4, source: "fitted on ..."}
      ...                                          # depthwise, pointwise, linear, elementwise
    eta_memory: {value: 1, source: "..."}           # fraction of bandwidth reached
    t_launch: {value: 5, source: "..."}             # microseconds per kernel launch
    t_fixed: {value: 0.3, source: "..."}            # milliseconds per inference

Numbers are read exactly from their text (never through a float). Errors are
``file:line:col: message``.
"""
from __future__ import annotations

import difflib
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from costcalc.latency import adapter
from costcalc.latency.adapter import numbers
from costcalc.latency.adapter import SpecError, UsageError
from costcalc.latency.model import DTYPE_BYTES, FUSIONS, OP_CLASSES, RUNTIMES, Device

SHIPPED_DIR = Path(__file__).resolve().parent / "devices"
KEYS = ("name", "description", "base", "dtype", "fusion", "runtime", "peak", "bandwidth", "eta",
        "eta_memory", "t_launch", "t_fixed")
VALUE_KEYS = ("value", "source")
SCALARS = ("bandwidth", "eta_memory", "t_launch", "t_fixed")
# Upper limits: units (GMAC/s, GB/s, us, ms) and efficiencies, which cannot pass the datasheet peak.
LIMITS = {"peak": 10**7, "bandwidth": 10**6, "eta": 1, "eta_memory": 1, "t_launch": 10**6,
          "t_fixed": 10**6}


def shipped() -> list[str]:
    """Names of the device profiles that ship with costcalc."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def get(name: str) -> Device:
    """The shipped profile ``name`` or the profile in YAML file ``name``."""
    if name in shipped():
        return _load_shipped(name)
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load(name)
    raise UsageError(f"unknown device {name!r}{_hint(name, shipped())}; valid: {', '.join(shipped())}, or a YAML "
                     "device profile file")


@lru_cache(maxsize=None)
def _load_shipped(name: str) -> Device:
    return load(str(SHIPPED_DIR / f"{name}.yaml"))


def load(path: str, _seen: tuple[str, ...] = ()) -> Device:
    """Parse and check one profile file (and its ``base``)."""
    doc = adapter.load_yaml(path)

    def fail(message: str, where: Any = doc, key: Any = None, at_key: bool = False) -> SpecError:
        line, column = adapter.position(where, key, at_key)
        return SpecError(message, path, line, column)

    if not isinstance(doc, dict):
        raise fail("a device profile is a YAML mapping (name, peak, bandwidth, eta, ...)")
    for key in doc:
        if key not in KEYS:
            raise fail(f"unknown key {key!r}{_hint(key, KEYS)}; valid keys: {', '.join(KEYS)}",
                       doc, key, True)
    base = _base(doc, _seen, fail)
    for key in ("name", "description"):
        if key in doc and not isinstance(doc[key], str):
            raise fail(f"{key!r} must be text", doc, key)
    choices = _choices(doc, base, fail)
    sources = dict(base.sources) if base else {}
    values = _values(doc, base, sources, fail)
    if choices["dtype"] not in values["peak"]:
        raise fail(f"default dtype {choices['dtype']} has no peak; peak lists "
                   f"{', '.join(values['peak'])}", doc, "dtype" if "dtype" in doc else None)
    name = doc.get("name", Path(path).stem)
    description = doc.get("description", base.description if base else "")
    return Device(name, description, values["peak"], values["bandwidth"], values["eta"],
                  values["eta_memory"], values["t_launch"], values["t_fixed"], sources=sources,
                  origin=path, **choices)


def _hint(word: Any, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), valid, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _base(doc: dict, seen: tuple[str, ...], fail) -> Device | None:
    """The shipped profile named by ``base:`` (loaded and checked), or None."""
    if "base" not in doc:
        return None
    base_name = doc["base"]
    if not isinstance(base_name, str) or base_name not in shipped():
        raise fail(f"unknown base {base_name!r}; valid: {', '.join(shipped())}", doc, "base")
    if base_name in seen:
        raise fail(f"base {base_name!r} refers back to itself", doc, "base")
    return load(str(SHIPPED_DIR / f"{base_name}.yaml"), seen + (base_name,))


def _choices(doc: dict, base: Device | None, fail) -> dict[str, str]:
    """dtype, fusion and runtime: the file's, else the base's, else the defaults."""
    choices = {}
    for key, valid, default in (("dtype", tuple(DTYPE_BYTES), "fp32"),
                                ("fusion", FUSIONS, "conv-bn-act"), ("runtime", RUNTIMES, "gemm")):
        value = doc.get(key, getattr(base, key) if base else default)
        if value not in valid:
            raise fail(f"{key!r} must be one of {', '.join(valid)}, got {value!r}", doc, key)
        choices[key] = value
    return choices


def _values(doc: dict, base: Device | None, sources: dict[str, str], fail) -> dict[str, Any]:
    """The numbers (peak and eta tables, scalars) over the base's; every one required."""
    values: dict[str, Any] = {}
    for key in ("peak", "eta"):
        table = dict(getattr(base, key)) if base else {}
        if key in doc:
            table.update(_section(doc, key, sources, fail))
        values[key] = table
    for key in SCALARS:
        if key in doc:
            values[key], sources[key] = _entry(doc, key, key, fail)
        elif base is not None:
            values[key] = getattr(base, key)
    missing = [k for k in ("peak", "eta") + SCALARS if k not in values or values[k] in ({}, None)]
    missing += [f"eta.{op}" for op in OP_CLASSES if "eta" in values and values["eta"]
                and op not in values["eta"]]
    if missing:
        raise fail(f"missing {', '.join(missing)} (every field needs a value and a source; "
                   "or start from a shipped profile with base: NAME)")
    return values


def _section(doc: dict, key: str, sources: dict[str, str], fail) -> dict[str, Any]:
    """The entries of ``peak:`` (by dtype) or ``eta:`` (by op class), checked."""
    section = doc[key]
    if not isinstance(section, dict) or not section:
        raise fail(f"{key!r} must be a mapping of "
                   f"{'dtype' if key == 'peak' else 'op class'}: {{value, source}}", doc, key)
    valid = tuple(DTYPE_BYTES) if key == "peak" else OP_CLASSES
    table = {}
    for sub in section:
        if sub not in valid:
            raise fail(f"unknown {key} entry {sub!r}{_hint(sub, valid)}; valid: {', '.join(valid)}",
                       section, sub, True)
        table[sub], sources[f"{key}.{sub}"] = _entry(section, sub, key, fail)
    return table


def _entry(container: Any, key: str, what: str, fail) -> tuple[Any, str]:
    """(value, source) of one ``{value: N, source: TEXT}`` entry, checked."""
    entry = container[key]
    if not isinstance(entry, dict):
        raise fail(f"{key!r} must be a mapping {{value: NUMBER, source: TEXT}}", container, key)
    for sub in entry:
        if sub not in VALUE_KEYS:
            raise fail(f"unknown key {sub!r} in {key!r}; valid keys: value, source", entry, sub,
                       True)
    if "value" not in entry:
        raise fail(f"{key!r} has no 'value'", container, key)
    if not isinstance(entry.get("source"), str) or not entry["source"].strip():
        raise fail(f"{key!r} needs a 'source:' saying where its value comes from", container,
                   key)
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise fail(f"{key!r} value must be a number, got {value!r}", entry, "value")
    limit = LIMITS[what]
    # rates and efficiencies divide: a tiny one would make every time infinite
    low = Fraction(1, 10**6) if what not in ("t_launch", "t_fixed") else 0
    if not low <= value <= limit:
        raise fail(f"{key!r} value must be at least {_show(low)} and at most {limit}, got "
                   f"{_show(value)}", entry, "value")
    return value, entry["source"].strip()


def _show(value: Any) -> str:
    """A profile number in a message: short, whatever its size."""
    if isinstance(value, int) and abs(value) > 10**15:
        return f"a number of {len(str(abs(value)))} digits"
    if isinstance(value, Fraction) and value.denominator != 1:
        try:
            return numbers.significant(value, 6)
        except OverflowError:
            return "a number beyond 1e308"
    return str(value)


def to_yaml(device: Device) -> str:
    """A profile file for ``device`` (fitted values written as decimals with 4 significant digits)."""
    def entry(value: Any, source: str) -> str:
        return f"{{value: {_decimal(value)}, source: {_quote(source)}}}"

    lines = [f"name: {_quote(device.name)}", f"description: {_quote(device.description)}",
             f"dtype: {device.dtype}", f"fusion: {device.fusion}", f"runtime: {device.runtime}",
             "peak:"]
    lines += [f"  {d}: {entry(v, device.sources.get(f'peak.{d}', ''))}"
              for d, v in device.peak.items()]
    lines.append(f"bandwidth: {entry(device.bandwidth, device.sources.get('bandwidth', ''))}")
    lines.append("eta:")
    lines += [f"  {op}: {entry(device.eta[op], device.sources.get(f'eta.{op}', ''))}"
              for op in OP_CLASSES]
    for key in ("eta_memory", "t_launch", "t_fixed"):
        lines.append(f"{key}: {entry(getattr(device, key), device.sources.get(key, ''))}")
    return "\n".join(lines) + "\n"


def _decimal(value: Any) -> str:
    if isinstance(value, float):
        return numbers.significant(value, 4)
    if isinstance(value, Fraction):
        return numbers.significant(value, 6)
    return str(value)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
