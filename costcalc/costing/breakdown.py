"""Cost by op class (pointwise, depthwise, standard conv, SE, fully connected): v1 Table 2."""
from __future__ import annotations

from fractions import Fraction

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Sequence

LABELS = {"pointwise": "pointwise", "depthwise": "depthwise", "conv": "standard conv",
          "se": "SE", "linear": "fully connected", "matmul": "matmul", "other": "other"}


def by_op_class(rows: Sequence[Any], metric: str) -> list[tuple[str, Any, Fraction]]:
    """(label, amount, share of the total) per op class with a non-zero amount, largest first.

    ``rows`` are analysis Rows; ``metric`` is ``macs`` or ``params``.
    """
    amounts: dict[str, Any] = {}
    for row in rows:
        label = LABELS.get(row.op_class, row.op_class)
        amounts[label] = amounts.get(label, 0) + getattr(row, metric)
    total = sum(amounts.values(), 0)
    if not total:
        return []
    parts = [(label, value, Fraction(value, total)) for label, value in amounts.items() if value]
    return sorted(parts, key=lambda part: -part[1])


def line(rows: Sequence[Any], metric: str, title: str) -> str:
    """``MACs by op class: pointwise 94.86%, depthwise 3.06%, ...``."""
    parts = by_op_class(rows, metric)
    return f"{title} by op class: " + ", ".join(f"{label} {float(share) * 100:.2f}%"
                                              for label, _, share in parts)
