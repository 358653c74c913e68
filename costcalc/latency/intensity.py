"""Closed-form arithmetic intensity of depthwise and pointwise layers, checked against the model.

Each formula is written once and evaluated on exact numbers (the check) or sympy symbols (the
display). Bytes are those of the latency model under conv-bn-act fusion: input + output + stored
weights (BatchNorm folded into one bias per channel), b bytes per element.

Depthwise K x K on C channels, input side H, output side D::

    I_dw = K^2 C D^2 / (b (C H^2 + C D^2 + K^2 C + C)) = K^2 D^2 / (b (H^2 + D^2 + K^2 + 1))

C cancels: the intensity does not depend on alpha. With H = s D it tends to K^2 / (b (1 + s^2))
for large maps, so rho only enters through the small (K^2 + 1) / D^2 term. Pointwise M -> N on a
D x D map::

    I_pw = M N D^2 / (b (M D^2 + N D^2 + M N + N))  ~  M N / (b (M + N))

which grows linearly with alpha (M, N -> alpha M, alpha N).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc.latency import adapter
from costcalc.latency.model import DTYPE_BYTES, costs


def depthwise(k: Any, h2: Any, d2: Any, b: Any, bias: Any = 1) -> Any:
    """I_dw = K^2 D^2 / (b (H^2 + D^2 + K^2 + bias)); h2 = H^2, d2 = D^2 (pixels in, out)."""
    return k * k * d2 / (b * (h2 + d2 + k * k + bias))


def depthwise_limit(k: Any, s: Any, b: Any) -> Any:
    """Large-map limit of I_dw with H = s D: K^2 / (b (1 + s^2))."""
    return k * k / (b * (1 + s * s))


def pointwise(m: Any, n: Any, d2: Any, b: Any, bias: Any = 1) -> Any:
    """I_pw = M N D^2 / (b (M D^2 + N D^2 + M N + bias N))."""
    return m * n * d2 / (b * (m * d2 + n * d2 + m * n + bias * n))


def check_rows(model: str, parameters: dict, dtype: str = "fp32") -> list[dict]:
    """Per depthwise and pointwise layer: the model's exact intensity and the closed form's."""
    layers = adapter.model_records(model, parameters)
    b = DTYPE_BYTES[dtype]
    rows = []
    for record, cost in zip(layers, costs(layers, dtype, "conv-bn-act", "gemm")):
        if record.op not in ("depthwise", "pointwise") or record.groups not in (1, record.in_channels):
            continue
        c = record.in_channels
        h2 = Fraction(record.input_elements, c)
        bias = Fraction(record.weight_elements - record.macs // record.out_pixels,
                        record.out_channels)
        if record.op == "depthwise":
            closed = depthwise(Fraction(record.kernel), h2, record.out_pixels, b, bias)
            limit = depthwise_limit(Fraction(record.kernel), record.stride, b)
        else:
            closed = pointwise(Fraction(c), record.out_channels, record.out_pixels, b, bias)
            limit = Fraction(c * record.out_channels, b * (c + record.out_channels))
        rows.append({"layer": record.name, "op": record.op, "kernel": record.kernel,
                     "stride": record.stride, "channels": f"{c}->{record.out_channels}",
                     "out_side2": record.out_pixels, "engine": cost.intensity,
                     "closed": closed, "limit": limit, "equal": cost.intensity == closed})
    return rows


def tables(model: str, parameters: dict, dtype: str = "fp32") -> list[Any]:
    """The closed forms (sympy) and their check at the given point."""
    import sympy

    k, s, d, h, b, m, n, alpha = sympy.symbols("K s D H b M N alpha", positive=True)
    forms = [
        {"op": "depthwise", "intensity": depthwise(k, h ** 2, d ** 2, b),
         "limit": depthwise_limit(k, s, b), "alpha": "none (C cancels)"},
        {"op": "depthwise 3x3, s=1", "intensity": depthwise(3, d ** 2, d ** 2, b),
         "limit": depthwise_limit(sympy.Integer(3), 1, b), "alpha": "none"},
        {"op": "depthwise 3x3, s=2", "intensity": depthwise(3, 4 * d ** 2, d ** 2, b),
         "limit": depthwise_limit(sympy.Integer(3), 2, b), "alpha": "none"},
        {"op": "pointwise", "intensity": pointwise(alpha * m, alpha * n, d ** 2, b),
         "limit": sympy.simplify(alpha * m * n / (b * (m + n))), "alpha": "linear"},
    ]
    first = adapter.table(
        "Arithmetic intensity in closed form (MACs per byte, conv-bn-act fusion)",
        [("op", "layer", "text"), ("intensity", "intensity", "expr"),
         ("limit", "large D", "expr"), ("alpha", "depends on alpha", "text")], forms,
        ["K kernel, s stride, H input side, D output side (rho * D_F / s), b bytes per "
         f"element ({dtype}: {DTYPE_BYTES[dtype]}), M, N pointwise channels before alpha; "
         "BN folded into one bias per channel"])
    rows = check_rows(model, parameters, dtype)
    second = adapter.table(
        f"Closed form vs the latency model at this point ({model})",
        [("layer", "layer", "text"), ("op", "op", "text"), ("kernel", "K", "count"),
         ("stride", "s", "count"), ("channels", "channels", "text"),
         ("out_side2", "D^2", "count"), ("engine", "model MACs/byte", "number"),
         ("closed", "closed form", "number"), ("limit", "large D", "number"),
         ("equal", "equal", "text")], rows,
        [f"{sum(r['equal'] for r in rows)} of {len(rows)} layers equal exactly"])
    return [first, second]
