"""Latency beside counts (compare, sweep) and the largest alpha or resolution within a latency budget."""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from costcalc.latency import adapter, devices
from costcalc.latency.adapter import UsageError
from costcalc.latency.model import predict

UNITS = {"s": Fraction(1), "ms": Fraction(1, 1000), "us": Fraction(1, 10**6)}
MAX_STEPS = 64


def parse_budget(text: str, option: str = "--latency") -> Fraction:
    """'20ms', '20 ms', '0.02s', '500us' or a plain number of milliseconds -> exact seconds."""
    match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?)\s*(s|ms|us)?\s*",
                         text)
    try:
        number = adapter.parse_number(match.group(1)) if match else None
    except ValueError:
        number = None
    if number is None:
        raise UsageError(f"{option} takes a time such as 20ms, 0.02s or 500us; got {text!r}")
    value = number * UNITS[match.group(2) or "ms"]
    if not 0 < value <= 10**6:
        raise UsageError(f"{option} must be more than 0 and at most 10^6 s, got {text!r}")
    return Fraction(value)


def latency_ms(model: str, parameters: dict, device: str, dtype: str | None = None) -> float:
    """Predicted latency in milliseconds of ``model`` at ``parameters`` on ``device``."""
    profile = devices.get(device)
    return predict(adapter.model_records(model, parameters), profile, dtype).total * 1e3


def solve(model: str, budget: Fraction, device: str, dtype: str | None, fixed: dict,
          solve_for: str, step: int, upper: Fraction) -> Any:
    """The largest ``solve_for`` (alpha on a 1/1000 grid, or resolution in multiples of
    ``step``) whose predicted latency fits ``budget`` seconds, by bisection.

    Latency grows with alpha and resolution except for the small steps channel rounding makes,
    so the answer is checked at the next grid point too.
    """
    profile = devices.get(device)
    if dtype is not None:
        profile.check_dtype(dtype)
    unit = Fraction(1, 1000) if solve_for == "alpha" else Fraction(step)

    def time_at(k: int) -> float:
        value = k * unit
        parameters = {**fixed, solve_for: value if solve_for == "alpha" else int(value)}
        return predict(adapter.model_records(model, parameters), profile, dtype).total

    limit = float(budget)
    low, high = 1, int(upper / unit)
    if high < 1:
        raise UsageError(f"nothing to search: the largest {solve_for} is below one step")
    if time_at(low) > limit:
        raise UsageError(f"even {solve_for}={_show(low * unit)} takes {time_at(low) * 1e3:.3f} "
                         f"ms on {profile.name}, over the budget of {float(budget) * 1e3:g} ms")
    if time_at(high) <= limit:
        low = high
    steps = 0
    while high - low > 1 and steps < MAX_STEPS:
        middle = (low + high) // 2
        if time_at(middle) <= limit:
            low = middle
        else:
            high = middle
        steps += 1
    best = low * unit
    rows = [{"solve_for": solve_for, "value": _show(best), "latency_ms": time_at(low) * 1e3,
             "budget_ms": float(budget) * 1e3}]
    if low * unit < upper:
        rows.append({"solve_for": f"next {solve_for}", "value": _show((low + 1) * unit),
                     "latency_ms": time_at(low + 1) * 1e3, "budget_ms": float(budget) * 1e3})
    shown = ", ".join(f"{k}={_show(v)}" for k, v in fixed.items()) or "spec defaults"
    footer = [f"device {profile.name} ({profile.description}); dtype {dtype or profile.dtype}; "
              f"fixed: {shown}",
              f"search: {solve_for} in steps of {_show(unit)} up to {_show(upper)}, by bisection "
              "(latency assumed to grow with it)"]
    columns = [("solve_for", "solve for", "text"), ("value", "value", "text"),
               ("latency_ms", "predicted ms", "number"), ("budget_ms", "budget ms", "number")]
    return adapter.table(f"Largest {solve_for} of {model} within {float(budget) * 1e3:g} ms",
                         columns, rows, footer)


def _show(value: Any) -> str:
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
