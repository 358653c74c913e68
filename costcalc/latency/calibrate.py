"""Fitting a device profile to measured latencies: bounded least squares on the model's terms.

At fixed bounds (which layers are compute-bound and which memory-bound) the model is linear in
its unknowns: ``total = sum(theta_j * f_j)`` with features f (work of compute-bound layers per op
class, bytes of memory-bound layers, launches, 1) and theta (1 / (eta_op * P), 1 / (eta_mem * BW),
t_launch, t_fixed); see ``model.Prediction.features``. The fit alternates: predict with the
current profile, solve for theta by least squares on relative errors (every measurement weighs
the same whether it is 1 ms or 100 ms) with theta >= its physical lower bound, update the
profile, until the bounds stop changing. Peak and bandwidth stay the datasheet's: only the
efficiencies, the launch time and the fixed overhead move.

A fit is refused when it is under-determined: fewer measurements than fitted terms, or a term
whose feature column is (within 0.1 %) a combination of the others over the measurements, so
that no data could tell them apart. With ``terms=None`` (auto) such terms are kept at the
profile's values and reported instead. Pure Python: a handful of unknowns needs no numpy.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from costcalc.latency import adapter
from costcalc.latency.adapter import numbers
from costcalc.latency.adapter import CostcalcError, LayerRecord, SpecError, UsageError
from costcalc.latency.model import (DTYPE_BYTES, OP_CLASSES, TERMS, Cost, Device, Prediction,
                                    costs, predict, thetas)

MAX_ROWS = 2000
MAX_MS = 10**9  # a measurement of more than 11 days is a unit mistake
META_COLUMNS = ("model", "ms", "dtype", "source", "note")
DEPENDENCE = 1e-3  # a column closer than this (relative) to the span of others adds nothing
AUTO_ORDER = ("t_fixed", "eta.pointwise", "eta.depthwise", "eta.conv", "eta_memory",
              "eta.linear", "eta.elementwise", "t_launch")
MAX_ROUNDS = 30


@dataclass(frozen=True)
class Sample:
    """One measurement: the model's layers and costs, and the measured latency in seconds."""

    label: str
    model: str
    layers: tuple[LayerRecord, ...]
    costs: tuple[Cost, ...]
    seconds: float
    macs: int
    line: int = 0


@dataclass
class Fit:
    """A calibrated device, what was fitted and kept, and the errors on the measurements."""

    device: Device
    fitted: list[str]
    kept: dict[str, str]  # term -> why it was not fitted
    samples: list[Sample]
    predicted: list[float]
    rounds: int

    @property
    def errors(self) -> list[float]:
        """Signed relative errors, percent."""
        return [100 * (p - s.seconds) / s.seconds for p, s in zip(self.predicted, self.samples)]

    @property
    def mape(self) -> float:
        return mape(self.predicted, [s.seconds for s in self.samples])


def mape(predicted: Sequence[float], measured: Sequence[float]) -> float:
    """Mean absolute percentage error."""
    return 100 * sum(abs(p - m) / m for p, m in zip(predicted, measured)) / len(measured)


# ---------------------------------------------------------------------------- measurements
def read_measurements(path: str, dtype: str | None = None, fusion: str = "conv-bn-act",
                      runtime: str = "gemm") -> tuple[list[Sample], str]:
    """Samples from a CSV file: columns ``model`` and ``ms``, optional ``dtype``, ``source`` and
    ``note`` (text), every other column a spec parameter (alpha, resolution, classes, ...).

    Returns the samples and their dtype. Errors are ``file:line:col: message``.
    """
    text = adapter.read_text(path).removeprefix("\ufeff")  # spreadsheets write a BOM
    lines = text.splitlines()
    names = _header(lines, path)
    samples: list[Sample] = []
    dtypes: set[str] = set()
    cache: dict[tuple, tuple] = {}
    for line_number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = _fields(line)
        if len(cells) != len(names):
            raise SpecError(f"{len(cells)} fields, the header has {len(names)}", path,
                            line_number, 1)
        if len(samples) >= MAX_ROWS:
            raise SpecError(f"more than {MAX_ROWS} measurements", path, line_number, 1)
        row = {name: cell for name, cell in zip(names, cells)}
        where = {name: column for name, (_, column) in zip(names, cells)}
        at = (path, line_number)
        ms = _ms(row["ms"][0], at + (where["ms"],))
        row_dtype = _dtype(row, where, dtype, dtypes, at)
        model = row["model"][0].strip()
        parameters = {k: v[0].strip() for k, v in row.items()
                      if k not in META_COLUMNS and v[0].strip()}
        key = (model, tuple(sorted(parameters.items())))
        if key not in cache:
            cache[key] = _layers(model, parameters, where, at)
        layers = cache[key]
        label = model + "".join(f" {k}={v}" for k, v in parameters.items() if k != "classes")
        samples.append(Sample(label, model, layers,
                              tuple(costs(layers, row_dtype, fusion, runtime)),
                              float(Fraction(ms)) / 1000, sum(r.macs for r in layers),
                              line_number))
    if not samples:
        raise SpecError("no measurements after the header", path, 2, 1)
    return samples, dtypes.pop()


def _header(lines: list[str], path: str) -> list[str]:
    """The column names of the header line, checked (model and ms present, no repeats)."""
    if not lines or not lines[0].strip():
        raise SpecError("empty file: expected a header line with model and ms columns", path, 1, 1)
    header = _fields(lines[0])
    names = [name for name, _ in header]
    for required in ("model", "ms"):
        if required not in names:
            raise SpecError(f"no {required!r} column (header: {', '.join(names)})", path, 1, 1)
    for number, (name, column) in enumerate(header):
        if not name or names.index(name) != number:
            raise SpecError(f"{'empty' if not name else 'duplicate'} column name {name!r}", path,
                            1, column)
    return names


def _ms(ms_text: str, at: tuple[str, int, int]) -> Any:
    """The measured milliseconds of a row, exact and in range."""
    try:
        ms = adapter.parse_number(ms_text)
    except (ValueError, ZeroDivisionError):
        raise SpecError(f"ms must be a number, got {ms_text!r}", *at) from None
    if not 0 < ms <= MAX_MS:
        raise SpecError(f"ms must be more than 0 and at most {MAX_MS}, got {ms_text}", *at)
    return ms


def _dtype(row: dict, where: dict, dtype: str | None, dtypes: set[str],
           at: tuple[str, int]) -> str:
    """A row's dtype: its column, else --dtype, else fp32; one dtype per file."""
    row_dtype = row["dtype"][0].strip() if "dtype" in row else (dtype or "fp32")
    if row_dtype not in DTYPE_BYTES:
        raise SpecError(f"unknown dtype {row_dtype!r}; valid: {', '.join(DTYPE_BYTES)}",
                        *at, where.get("dtype", 1))
    if dtype is not None and row_dtype != dtype:
        raise SpecError(f"dtype {row_dtype} differs from --dtype {dtype}", *at, where["dtype"])
    dtypes.add(row_dtype)
    if len(dtypes) > 1:
        raise SpecError(f"dtype {row_dtype} differs from the rows before "
                        f"({min(dtypes - {row_dtype})}): fit one dtype per file", *at,
                        where.get("dtype", 1))
    return row_dtype


def _layers(model: str, parameters: dict[str, str], where: dict, at: tuple[str, int]) -> tuple:
    """The layer records of a row's model; an engine error points at the column it names."""
    try:
        return tuple(adapter.model_records(model, parameters))
    except CostcalcError as exc:
        message = str(exc)
        column = where["model"]  # unknown model or a spec problem
        for name in parameters:
            if f"'{name}'" in message:
                column = where[name]
                break
        raise SpecError(f"{model}: {message}", *at, column) from None


def _fields(line: str) -> list[tuple[str, int]]:
    """CSV fields of one line with the 1-based column where each starts."""
    values = next(csv.reader(io.StringIO(line)))
    columns, start, quoted = [], 0, False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            columns.append(start + 1)
            start = index + 1
    columns.append(start + 1)
    columns += [len(line) + 1] * (len(values) - len(columns))
    return list(zip(values, columns))


# ---------------------------------------------------------------------------- fitting
def predictions(samples: Sequence[Sample], device: Device, dtype: str, fusion: str,
                runtime: str) -> list[Prediction]:
    return [predict(s.layers, device, dtype, fusion, runtime, s.costs) for s in samples]


def fit(samples: Sequence[Sample], device: Device, dtype: str, fusion: str, runtime: str,
        terms: Sequence[str] | None = None, source: str = "") -> Fit:
    """Calibrate ``device`` on ``samples``; ``terms`` None = every term the data can identify."""
    if terms is not None:
        for term in terms:
            if term not in TERMS:
                raise UsageError(f"unknown term {term!r}; valid: {', '.join(TERMS)}")
        if len(samples) < len(terms):
            raise UsageError(f"under-determined fit: {len(samples)} measurements for "
                             f"{len(terms)} terms ({', '.join(terms)}); measure more models or "
                             "fit fewer terms")
    measured = [s.seconds for s in samples]
    current, previous_bounds = device, None
    fitted: list[str] = []
    kept: dict[str, str] = {}
    best: tuple | None = None  # (error, device, fitted, kept) of the best round
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        preds = predictions(samples, current, dtype, fusion, runtime)
        bounds = [tuple(layer.compute >= layer.memory for layer in p.layers) for p in preds]
        if bounds == previous_bounds:
            break  # a fixed point: the bounds the fit assumed are the bounds it predicts
        previous_bounds = bounds
        features = [p.features() for p in preds]
        chosen, kept = _select(features, terms, len(samples))
        theta = _solve(features, measured, chosen, thetas(current, dtype),
                       _lower_bounds(current, dtype))
        current = _apply(current, theta, chosen, dtype, source)
        fitted = [t for t in TERMS if t in fitted or t in chosen]
        error = mape([p.total for p in predictions(samples, current, dtype, fusion, runtime)],
                     measured)
        if best is None or error < best[0]:
            best = (error, current, fitted, {t: r for t, r in kept.items() if t not in fitted})
    _, result, fitted, kept = best
    final = predictions(samples, result, dtype, fusion, runtime)
    return Fit(result, fitted, kept, list(samples), [p.total for p in final], rounds)


def _select(features: list[dict], terms: Sequence[str] | None,
            count: int) -> tuple[list[str], dict[str, str]]:
    """The terms to fit: the requested ones (refused if dependent) or, in auto mode, each term in
    AUTO_ORDER whose weighted column is independent of those chosen before it."""
    columns = {t: [f[t] for f in features] for t in TERMS}
    chosen: list[str] = []
    kept: dict[str, str] = {}
    basis: list[list[float]] = []
    for term in (terms if terms is not None else AUTO_ORDER):
        column = columns[term]
        if not any(column):
            reason = _unseen(term)
        elif terms is None and len(chosen) >= count:
            reason = "no measurements left to fit it"
        else:
            residual = _residual(column, basis)
            if residual is not None:
                basis.append(residual)
                chosen.append(term)
                continue
            reason = "its feature is a combination of " + ", ".join(chosen) + " over these data"
        if terms is not None:
            raise UsageError(f"under-determined fit: term {term} cannot be fitted: {reason}; "
                             "leave it out of --fit to keep the profile's value")
        kept[term] = reason
    for term in TERMS:
        if term not in chosen and term not in kept:
            kept[term] = "not requested"
    return chosen, kept


def _unseen(term: str) -> str:
    """Why the data say nothing about ``term`` (its feature is 0 in every measurement)."""
    if term.startswith("eta."):
        return f"no {term[4:]} layer is compute-bound in these measurements"
    if term == "eta_memory":
        return "no layer is memory-bound in these measurements"
    return "its feature is 0 in every measurement"


def _residual(column: list[float], basis: list[list[float]]) -> list[float] | None:
    """Gram-Schmidt step: the normalised part of ``column`` outside ``basis`` (None if none)."""
    norm = math.sqrt(sum(v * v for v in column))
    vector = [v / norm for v in column]
    for base in basis:
        dot = sum(a * b for a, b in zip(vector, base))
        vector = [a - dot * b for a, b in zip(vector, base)]
    rest = math.sqrt(sum(v * v for v in vector))
    if rest < DEPENDENCE:
        return None
    return [v / rest for v in vector]


def _lower_bounds(device: Device, dtype: str) -> dict[str, float]:
    """theta >= these: efficiencies at most 1 (no layer beats the datasheet), overheads >= 0."""
    bounds = {f"eta.{op}": 1 / (float(device.peak[dtype]) * 1e9) for op in OP_CLASSES}
    bounds["eta_memory"] = 1 / (float(device.bandwidth) * 1e9)
    bounds["t_launch"] = 0.0
    bounds["t_fixed"] = 0.0
    return bounds


def _solve(features: list[dict], measured: list[float], chosen: list[str],
           theta: dict[str, float], lower: dict[str, float]) -> dict[str, float]:
    """Minimise sum(((f . theta - m) / m)^2) over the chosen thetas >= lower (others fixed).

    Substituting theta = lower + phi, phi >= 0 is a non-negative least-squares problem; with at
    most eight unknowns every active set is tried (smallest error among the feasible solutions).
    """
    rows, targets = [], []
    for f, m in zip(features, measured):
        fixed = sum(theta[t] * f[t] for t in TERMS if t not in chosen)
        floor = sum(lower[t] * f[t] for t in chosen)
        rows.append([f[t] / m for t in chosen])
        targets.append((m - fixed - floor) / m)
    best_error, best_phi = math.inf, [0.0] * len(chosen)
    for size in range(len(chosen), -1, -1):
        for active in itertools.combinations(range(len(chosen)), size):
            phi = _least_squares(rows, targets, active, len(chosen))
            if phi is None or min(phi, default=0.0) < 0:
                continue
            error = sum((sum(r[j] * phi[j] for j in range(len(phi))) - t) ** 2
                        for r, t in zip(rows, targets))
            if error < best_error - 1e-18:
                best_error, best_phi = error, phi
        if best_error < math.inf and size == len(chosen):
            break  # the unconstrained solution is feasible: it is the optimum
    result = dict(theta)
    for j, term in enumerate(chosen):
        result[term] = lower[term] + best_phi[j]
    return result


def _least_squares(rows: list[list[float]], targets: list[float], active: tuple[int, ...],
                   width: int) -> list[float] | None:
    """Ordinary least squares on the ``active`` columns (others 0), by the normal equations."""
    k = len(active)
    phi = [0.0] * width
    if k == 0:
        return phi
    matrix = [[sum(r[a] * r[b] for r in rows) for b in active] +
              [sum(r[a] * t for r, t in zip(rows, targets))] for a in active]
    for col in range(k):  # Gauss-Jordan with partial pivoting
        pivot = max(range(col, k), key=lambda i: abs(matrix[i][col]))
        if abs(matrix[pivot][col]) < 1e-300:
            return None
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        for i in range(k):
            if i != col:
                factor = matrix[i][col] / matrix[col][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[col])]
    for i, a in enumerate(active):
        phi[a] = matrix[i][k] / matrix[i][i]
    return phi


def _apply(device: Device, theta: dict[str, float], chosen: list[str], dtype: str,
           source: str) -> Device:
    """``device`` with the chosen terms set from theta (exact values rounded to 4 digits)."""
    eta = dict(device.eta)
    values: dict[str, Any] = {}
    sources = dict(device.sources)
    note = f"fitted: {source}" if source else "fitted"
    for term in chosen:
        if term.startswith("eta."):
            op = term[4:]
            eta[op] = _round(1 / (theta[term] * float(device.peak[dtype]) * 1e9))
        elif term == "eta_memory":
            values["eta_memory"] = _round(1 / (theta[term] * float(device.bandwidth) * 1e9))
        elif term == "t_launch":
            values["t_launch"] = _round(theta[term] * 1e6)
        else:
            values["t_fixed"] = _round(theta[term] * 1e3)
        sources[term] = note
    return device.changed(eta=eta, sources=sources, **values)


def _round(value: float) -> Fraction:
    """4 significant digits, kept exact from there on (what a profile file would say)."""
    return numbers.rounded(value, 4)


# ---------------------------------------------------------------------------- baselines
def baseline(samples: Sequence[Sample], constant: bool) -> list[float] | None:
    """Predictions of t = c * MACs (constant False) or t = a + c * MACs, fitted on relative
    error; None when the rows cannot determine it (one row, or every row with the same MACs)."""
    return baseline_predict(samples, samples, constant)


def baseline_predict(train: Sequence[Sample], test: Sequence[Sample],
                     constant: bool) -> list[float] | None:
    """A baseline fitted on ``train``, predicting ``test`` (None if ``train`` cannot fit it)."""
    rows = [[s.macs / s.seconds] + ([1 / s.seconds] if constant else []) for s in train]
    width = len(rows[0]) if rows else 0
    basis: list[list[float]] = []
    for j in range(width):
        column = [r[j] for r in rows]
        residual = _residual(column, basis) if any(column) else None
        if residual is None:
            return None
        basis.append(residual)
    phi = _least_squares(rows, [1.0] * len(train), tuple(range(width)), width)
    if phi is None:
        return None
    return [phi[0] * s.macs + (phi[1] if constant else 0.0) for s in test]


def leave_one_out(samples: Sequence[Sample], device: Device, dtype: str, fusion: str,
                  runtime: str, terms: Sequence[str] | None = None) -> dict[str, float | None]:
    """Held-out MAPE of the model and of the two baselines, each sample predicted by a fit on
    the others (a baseline the folds cannot fit is None)."""
    if len(samples) < 2:
        raise UsageError("leave-one-out needs at least 2 measurements")
    model_pred: list[float] = []
    baselines: dict[str, list[float] | None] = {"macs": [], "macs+constant": []}
    for i, held in enumerate(samples):
        train = [s for j, s in enumerate(samples) if j != i]
        result = fit(train, device, dtype, fusion, runtime, terms)
        model_pred.append(predict(held.layers, result.device, dtype, fusion, runtime,
                                  held.costs).total)
        for name, constant in (("macs", False), ("macs+constant", True)):
            predicted = baseline_predict(train, [held], constant)
            if predicted is None or baselines[name] is None:
                baselines[name] = None
            else:
                baselines[name] += predicted
    measured = [s.seconds for s in samples]
    out: dict[str, float | None] = {"model": mape(model_pred, measured)}
    for name, predicted in baselines.items():
        out[name] = None if predicted is None else mape(predicted, measured)
    return out
