"""How one cell value is written, shared by the text renderers."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc import numbers


def human(value: Any) -> str:
    """300774272 -> '300.77M' (exact ints below 1000 unchanged)."""
    for factor, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{suffix}"
    return str(value)


def plain(value: Any, kind: str, exact: bool = True) -> str:
    """A cell as plain text: exact integers, rationals as decimals, floats with 2-4 digits."""
    if value is None:
        return ""
    if kind == "count" and isinstance(value, int) and not isinstance(value, bool):
        return str(value) if exact else human(value)
    if kind == "percent" and isinstance(value, (int, float, Fraction)):
        return f"{float(value):.2f}%"
    if kind == "ratio" and isinstance(value, (int, float, Fraction)):
        return f"{float(value):.4f}"
    if isinstance(value, Fraction) or (isinstance(value, int) and not isinstance(value, bool)):
        return numbers.format_number(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
