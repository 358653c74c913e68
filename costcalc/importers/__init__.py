"""Front ends other than YAML: each reads a model file and feeds ``costcalc.graph.GraphBuilder``.

See ``costcalc.importers.base`` for the interface and docs/architecture.md for the checklist.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

# suffix -> module registering its importer; imported only when a file with that suffix is read
MODULES = {".onnx": "costcalc.importers.onnx_file"}


def open_model(path: str) -> Any:
    """The ImportedModel of ``path`` if an importer reads its suffix, else None."""
    lowered = path.lower()
    for suffix, module in MODULES.items():
        if lowered.endswith(suffix):
            from importlib import import_module

            from costcalc.importers.base import importer_for

            import_module(module)
            return importer_for(path).open(path)
    return None
