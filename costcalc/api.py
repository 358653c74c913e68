"""Library entry points: load a spec (zoo name or file) and analyse it at given parameters."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from costcalc import conventions, zoo
from costcalc.analysis import Report
from costcalc.errors import UsageError
from costcalc.spec import Spec, load_file, normal_name

# Short names accepted for the common parameters (command line and keyword arguments); a spec
# may not declare a parameter under a short name, so each means the same thing everywhere.
SHORTCUTS = {"res": "resolution"}


def load(model: str) -> Spec:
    """The parsed spec of a zoo model, alias or spec file path."""
    path = zoo.locate(model)
    if zoo.canonical(model) is not None:
        return _load_zoo(path)
    return load_file(path)


@lru_cache(maxsize=32)
def _load_zoo(path: str) -> Spec:
    return load_file(path)


def resolve(spec: Spec, parameters: dict[str, Any], convention: conventions.Convention) -> dict:
    overrides: dict[str, Any] = {}
    for key, value in parameters.items():
        key = normal_name(key)  # names are compared after NFKC, as the spec's expressions read them
        name = SHORTCUTS.get(key, key)  # the same meaning in every command and every spec
        if name in overrides and overrides[name] != value:
            raise UsageError(f"parameter {name!r} is given twice with different values; "
                             "give it once")
        overrides[name] = value
    if convention.classes is not None and "classes" in spec.parameters:
        overrides.setdefault("classes", convention.classes)
    return spec.resolve(overrides)


def analyze(model: str | Spec, convention: str = "paper", **parameters: Any) -> Report:
    """Exact per-layer and total costs of ``model`` at ``parameters``.

    Args:
        model: a zoo name (``"v2"``, ``"mobilenet_v3_small"``), a spec path, or a parsed Spec.
        convention: counting convention name (``paper``, ``torchvision``, ``keras``, ...).
        **parameters: spec parameters, e.g. ``alpha=0.5, resolution=160`` (``res`` works too).

    Returns:
        A Report with ``.layers``, ``.total`` and ``.to_dict()``.
    """
    spec = model if isinstance(model, Spec) else load(model)
    rules = conventions.get(convention)
    values = resolve(spec, parameters, rules)
    graph = spec.build(values)
    return Report.from_graph(graph, values, rules, spec.base_resolution)
