"""costcalc: exact MACs, parameters and memory of convolutional networks, as numbers and formulas."""
from __future__ import annotations

import types

import costcalc.memory as memory

__version__ = "0.1.0"
__all__ = ["__version__", "analyze", "compare", "conventions", "formula", "from_torch", "load", "memory",
           "sweep"]


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


# The commands as library calls: each returns a Result whose ``.data`` equals the command's
# ``--format json``; the engine loads on the first call, never on ``import costcalc``.


def compare(*models, **options):
    """Totals of models or variants with ratios; see ``costcalc.api.compare``."""
    from costcalc.api import compare as _compare

    return _compare(*models, **options)


def sweep(model, **options):
    """One model over a grid of parameter values; see ``costcalc.api.sweep``."""
    from costcalc.api import sweep as _sweep

    return _sweep(model, **options)


class _MemoryPackage(types.ModuleType):
    """``costcalc.memory`` is the memory subpackage and, called, the ``memory`` command: importing a
    subpackage rebinds its name on the package, so a plain function of that name would be replaced
    by the module as soon as anything imports ``costcalc.memory.*``."""

    def __call__(self, model, **options):
        """Activation and weight bytes and the inference peak; see ``costcalc.api.memory``."""
        from costcalc.api import memory as _memory

        return _memory(model, **options)


memory.__class__ = _MemoryPackage  # the subpackage's __init__ is a docstring: nothing loads


def conventions(model=None, **options):
    """A model under every counting profile; see ``costcalc.api.conventions``."""
    from costcalc.api import conventions as _conventions

    return _conventions(model, **options)


def formula(model, **options):
    """Closed forms in alpha, rho and t; see ``costcalc.api.formula``."""
    from costcalc.api import formula as _formula

    return _formula(model, **options)
