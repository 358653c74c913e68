"""Evaluate one spec at many parameter points (compare, sweep): the library entry point."""
from __future__ import annotations

import itertools
from typing import Any, Iterator, Mapping, Sequence

from costcalc import conventions
from costcalc.analysis import Report, Total
from costcalc.api import resolve
from costcalc.spec import Spec


def points(axes: Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """The cross product of parameter axes, first axis slowest."""
    names = list(axes)
    for combo in itertools.product(*(axes[n] for n in names)):
        yield dict(zip(names, combo))


def evaluate_grid(spec: Spec, axes: Mapping[str, Sequence[Any]], base: Mapping[str, Any] | None = None,
                  convention: str = "paper") -> list[tuple[dict[str, Any], Total]]:
    """Totals of ``spec`` at every point of ``axes`` (on top of ``base`` overrides)."""
    rules = conventions.get(convention)
    results = []
    for point in points(axes):
        values = resolve(spec, {**(base or {}), **point}, rules)
        results.append((values, Report.from_graph(spec.build(values), values, rules).total))
    return results
