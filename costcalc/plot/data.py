"""Reading values back from command JSON: exact numbers, axis coordinates, variant labels."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc import numbers


def exact_number(value: Any) -> Fraction | None:
    """A JSON number or "p/q" text as an exact Fraction (None when it is not a number).

    JSON floats here were written from decimal text (0.35), so their repr is that text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, str):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def coordinate(value: Any) -> Any:
    """A parameter value as a comparable key: exact number when numeric, else its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = exact_number(value)
    return number if number is not None else str(value)


def grid(sweep: dict[str, Any]) -> tuple[list[str], dict[str, list[Any]], dict[tuple, dict]]:
    """Axis names, their values (as coordinates, in the command's order) and points by key."""
    names = list(sweep["axes"])
    values = {n: [coordinate(v) for v in sweep["axes"][n]] for n in names}
    points = {}
    for point in sweep["points"]:
        key = tuple(coordinate(point["parameters"][_parameter(n, point)]) for n in names)
        points[key] = point
    return names, values, points


def _parameter(axis: str, point: dict) -> str:
    # --res sweeps the spec's 'resolution'; axis names are already spec parameter names.
    return axis if axis in point["parameters"] else {"res": "resolution"}.get(axis, axis)


def shown(value: Any) -> str:
    """A coordinate as text (0.75, 224, 7/3)."""
    return numbers.short_text(value, 10)
