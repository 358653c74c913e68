"""Zoo names and spec paths -> parsed Specs, and user parameter overrides -> resolved values."""
from __future__ import annotations

from functools import lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

from costcalc import zoo
from costcalc.errors import UsageError
from costcalc.importers import open_model
from costcalc.spec.document import Spec, load_file, normal_name

# Short names accepted for the common parameters (command line and keyword arguments); a spec
# may not declare a parameter under a short name, so each means the same thing everywhere.
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
    overrides: dict[str, Any] = {}
    for key, value in parameters.items():
        key = normal_name(key)  # names are compared after NFKC, as the spec's expressions read them
        name = SHORTCUTS.get(key, key)  # the same meaning in every command and every spec
        if name in overrides and overrides[name] != value:
            raise UsageError(f"parameter {name!r} is given twice with different values; "
                             "give it once")
        overrides[name] = value
    if classes is not None and "classes" in spec.parameters:
        overrides.setdefault("classes", classes)
    return spec.resolve(overrides)
