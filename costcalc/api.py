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


# ------------------------------------------------------------------ the commands as library calls
# Each takes what its command takes (values as numbers, text or lists of them; other parameters
# as keywords) and returns a Result whose ``.data`` equals the command's ``--format json``.
# Values go to the engine as text, through the same parsing as the command line.


def _text(value) -> str:
    from costcalc import numbers

    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    if isinstance(value, float):
        # As analyze reads a float: the decimal it prints as (0.1 means 1/10); text or a
        # Fraction carries any value exactly.
        return repr(value)
    return numbers.param_text(value)


def _axes(alpha, res, classes, parameters) -> dict:
    from costcalc.costing.variants import axes

    return axes(None if alpha is None else _text(alpha), None if res is None else _text(res),
                None if classes is None else _text(classes),
                [f"{k}={_text(v)}" for k, v in parameters.items()])


def _point(alpha, res, classes, parameters) -> dict:
    from costcalc.errors import UsageError

    grid = _axes(alpha, res, classes, parameters)
    for name, values in grid.items():
        if len(values) != 1:
            raise UsageError(f"{name} takes one value here, got {len(values)}")
    return {name: values[0] for name, values in grid.items()}


def compare(*models: str, alpha=None, res=None, classes=None, convention: str = "paper",
            baseline=None, sort=None, reverse: bool = False, max_points: int | None = None,
            **parameters):
    """``costcalc compare``: totals of models or variants (``"v2:alpha=0.5"``) with ratios."""
    from costcalc.costing.compare import compare_table
    from costcalc.costing.variants import check_points
    from costcalc.limits import MAX_POINTS
    from costcalc.render.notebook import Result

    grid = _axes(alpha, res, classes, parameters)
    check_points(grid, max_points or MAX_POINTS, len(models))
    return Result("compare", compare_table(list(models), grid, convention,
                                           None if baseline is None else str(baseline),
                                           sort, reverse))


def sweep(model: str, alpha=None, res=None, classes=None, convention: str = "paper",
          layout: str = "grid", max_points: int | None = None, **parameters):
    """``costcalc sweep``: one model over a grid of parameter values."""
    from costcalc.costing.sweep import sweep_table
    from costcalc.limits import MAX_POINTS
    from costcalc.render.notebook import Result

    return Result("sweep", sweep_table(model, _axes(alpha, res, classes, parameters),
                                       convention, layout, max_points=max_points or MAX_POINTS))


def memory(model: str, alpha=None, res=None, classes=None, dtype: str = "fp32", **parameters):
    """``costcalc memory``: per-layer activation and weight bytes and the inference peak."""
    from costcalc.costing.conventions import get
    from costcalc.memory import tables
    from costcalc.memory.liveness import dtype_bytes
    from costcalc.render.notebook import Result

    dtype_bytes(dtype)
    spec = load(model)
    graph = spec.build(resolve(spec, _point(alpha, res, classes, parameters), get("paper")))
    return Result("memory", tables.layers_table(graph, dtype, data=True))


def conventions(model: str | None = None, alpha=None, res=None, classes=None,
                extra: list[str] | None = None, rules: bool = False, **parameters):
    """``costcalc conventions``: a model under every counting profile (or, without a model, each
    profile's formula; ``rules=True``: the weight table)."""
    from costcalc.costing.conventions import BUILT_IN
    from costcalc.costing.reconcile import conventions_table, formulas_table, rules_table
    from costcalc.render.notebook import Result

    names = list(BUILT_IN) + [n for n in dict.fromkeys(extra or []) if n not in BUILT_IN]
    if model is None:
        table = rules_table(names) if rules else formulas_table(names)
    else:
        table = conventions_table(model, _point(alpha, res, classes, parameters), names)
    return Result("conventions", table)


def formula(model: str, alpha=None, res=None, classes=None, convention: str = "paper",
            sensitivity: bool = False, all_layers: bool = False, **parameters):
    """``costcalc formula``: closed forms in alpha, rho and t per layer and total (loads sympy)."""
    from costcalc.render.notebook import Result
    from costcalc.symbolic.calculus import sensitivities
    from costcalc.symbolic.derive import derive
    from costcalc.symbolic.layers import layer_formulas
    from costcalc.symbolic.tables import layer_table, sensitivity_table

    result = derive(load(model), _point(alpha, res, classes, parameters), convention)
    layers = layer_formulas(result, all_layers)
    if sensitivity:
        return Result("formula", sensitivity_table(result, layers, sensitivities(result)))
    return Result("formula", layer_table(result, layers))
