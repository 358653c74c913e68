"""Size limits on inputs that a user may raise: the environment variable of each, read when used."""
from __future__ import annotations

import os

from costcalc.errors import UsageError

LAYERS = "COSTCALC_MAX_LAYERS"   # layers of one model (twice as many entry expansions)
VALUES = "COSTCALC_MAX_VALUES"   # values in one YAML document, aliases expanded
BYTES = "COSTCALC_MAX_BYTES"     # size of one spec file
MAX_DIGITS = 12
MAX_POINTS = 10_000  # default cap on parameter points of compare and sweep (--max-points)


def get(variable: str, default: int) -> int:
    """The limit ``variable`` sets, or ``default`` when it is unset."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or len(text) > MAX_DIGITS or int(text) < 1:
        raise UsageError(f"{variable} must be a whole number from 1 to {10**MAX_DIGITS - 1}, "
                         f"got {text[:20]!r}")
    return int(text)


def hint(variable: str, value: int) -> str:
    """How a refusal names its limit: ``(limit COSTCALC_MAX_LAYERS=100000; set it higher...)``."""
    return f"(limit {variable}={value}; set that environment variable higher to accept more)"
