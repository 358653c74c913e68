"""A spec analysed at given parameters under one counting convention: the engine's entry point."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.spec import models
from costcalc.spec.document import Spec


def resolve(spec: Spec, parameters: dict[str, Any], convention: conventions.Convention) -> dict:
    """Parameter values of ``spec`` with ``parameters`` applied, as ``convention`` reads them."""
    return models.resolve(spec, parameters, convention.classes)


def analyze(model: str | Spec, convention: str = "paper", **parameters: Any) -> Report:
    """Exact per-layer and total costs of ``model`` at ``parameters``.

    Args:
        model: a zoo name (``"v2"``, ``"mobilenet_v3_small"``), a spec path, or a parsed Spec.
        convention: counting convention name (``paper``, ``torchvision``, ``keras``, ...).
        **parameters: spec parameters, e.g. ``alpha=0.5, resolution=160`` (``res`` works too).

    Returns:
        A Report with ``.layers``, ``.total`` and ``.to_dict()``.
    """
    spec = model if isinstance(model, Spec) else models.load(model)
    rules = conventions.get(convention)
    values = resolve(spec, parameters, rules)
    graph = spec.build(values)
    return Report.from_graph(graph, values, rules, spec.base_resolution)
