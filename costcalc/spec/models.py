"""Zoo names and spec paths -> parsed Specs, and user parameter overrides -> resolved values."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from costcalc import zoo
from costcalc.importers import open_model
from costcalc.spec.document import Spec, load_file

# Short names accepted for the common parameters (command line and keyword arguments).
SHORTCUTS = {"res": "resolution"}


def load(model: str) -> Spec:
    """The parsed spec of a zoo model, alias or spec file path (or an imported model file)."""
    imported = open_model(model)
    if imported is not None:
        return imported
    path = zoo.locate(model)
    if zoo.canonical(model) is not None:
        return _load_zoo(path)
    return load_file(path)


@lru_cache(maxsize=32)
def _load_zoo(path: str) -> Spec:
    # zoo specs never change while the process runs; user files might, so they are re-read
    return load_file(path)


def resolve(spec: Spec, parameters: dict[str, Any], classes: int | None = None) -> dict:
    """The spec's parameter values with ``parameters`` applied (``res`` for ``resolution``).

    ``classes``, when given, is the class count a counting convention implies (TF-slim's 1001);
    an explicit ``classes`` in ``parameters`` wins over it.
    """
    overrides = {k if k in spec.parameters else SHORTCUTS.get(k, k): v
                 for k, v in parameters.items()}
    if classes is not None and "classes" in spec.parameters:
        overrides.setdefault("classes", classes)
    return spec.resolve(overrides)
