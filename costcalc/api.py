"""Library entry points: load a spec (zoo name or file) and analyse it at given parameters.

A facade for users of the library and for the command line; the engine itself never imports it.
"""
from __future__ import annotations

from costcalc.costing.analyze import analyze, resolve
from costcalc.spec.models import SHORTCUTS, load

__all__ = ["SHORTCUTS", "analyze", "from_torch", "load", "resolve"]


def from_torch(module, input_shape, convention: str = "paper", **parameters):
    """The Report of a PyTorch module: exported to ONNX (in a temporary file) and imported.

    Args:
        module: a ``torch.nn.Module`` (put in eval mode for the export, then restored).
        input_shape: batch-first input shape, batch 1: ``(1, 3, 224, 224)``.
        convention: counting convention name.
        **parameters: the imported model's parameters (``allow_unknown=True``).
    """
    import os
    import tempfile

    from costcalc.importers.torch_export import export

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"{type(module).__name__}.onnx")
        export(module, input_shape, path)
        report = analyze(path, convention, **parameters)
    report.model = report.graph.name = type(module).__name__
    return report
