"""costcalc: exact MACs, parameters and memory of convolutional networks, as numbers and formulas."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "analyze", "from_torch", "load"]


def _wire() -> None:
    # The package root wires the layers: the html and pgfplots formats are drawn by the chart
    # layer (costcalc.plot), above render, so they are registered into render's registry here
    # and render never names the layer above it. Loaders import on first use only.
    from costcalc import render

    def html():
        from costcalc.plot.hooks import render_html

        return render_html

    def pgfplots():
        from costcalc.plot.hooks import render_pgfplots

        return render_pgfplots

    render.register(render.Format.html, html)
    render.register(render.Format.pgfplots, pgfplots)


_wire()


def analyze(model, convention="paper", **parameters):
    """Exact costs of a zoo model or spec file; see ``costcalc.api.analyze``."""
    from costcalc.api import analyze as _analyze

    return _analyze(model, convention, **parameters)


def load(model):
    """The parsed spec of a zoo model or spec file; see ``costcalc.api.load``."""
    from costcalc.api import load as _load

    return _load(model)


def from_torch(module, input_shape, convention="paper", **parameters):
    """Exact costs of a PyTorch module, through ONNX; see ``costcalc.api.from_torch``."""
    from costcalc.api import from_torch as _from_torch

    return _from_torch(module, input_shape, convention, **parameters)
