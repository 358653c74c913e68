"""How one cell value is written, shared by the text renderers."""
from __future__ import annotations

from fractions import Fraction

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc import numbers


human = numbers.human  # 300774272 -> '300.77M' (exact ints below 1000 unchanged)


def plain(value: Any, kind: str, exact: bool = True) -> str:
    """A cell as plain text: exact integers, rationals as decimals, floats with 2-4 digits."""
    if value is None:
        return ""
    if kind == "count" and isinstance(value, int) and not isinstance(value, bool):
        return str(value) if exact else human(value)
    if kind == "percent" and isinstance(value, (int, float, Fraction)):
        return numbers.percent(value)
    if kind == "ratio" and isinstance(value, (int, float, Fraction)):
        return numbers.fixed(value, 4)
    if isinstance(value, Fraction) or (isinstance(value, int) and not isinstance(value, bool)):
        return numbers.format_number(value)
    if isinstance(value, float):
        return numbers.significant(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
