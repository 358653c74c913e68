"""Budget solving: the largest alpha (or resolution) whose MACs and/or params fit a budget.

Two answers side by side. *Exact*: the numeric engine with every channel rounding, searched on
a grid, because rounding makes the cost a step function of alpha that need not be monotone:
every 0.01 from the bottom up to well past the ideal answer, then every 0.001 above the largest
fitting 0.01 step, then a bisection to 1e-6 for the point where the cost steps over the budget.
Resolutions are searched on every multiple of ``step``. *Ideal*: the closed form solved exactly
(``formula_calculus.largest_fitting``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

from costcalc.costing import conventions
from costcalc import numbers
from costcalc.costing.report import Report, Total
from costcalc.costing.analyze import resolve
from costcalc.errors import CostcalcError, UsageError
from costcalc.spec.document import Spec
from costcalc.symbolic.derive import to_fraction

SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "b": 10**9, "t": 10**12}
_AMOUNT = re.compile(r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e([+-]?[0-9]{1,2}))?([kmgbt]?)$")
COARSE = Fraction(1, 100)
FINE = Fraction(1, 1000)
BISECT = Fraction(1, 10**6)
QUANTITIES = ("macs", "params")
MAX_BUDGET = 10**18
# Grid points scanned one by one. A longer range is first narrowed by bisection (the cost grows
# with alpha and the resolution, up to rounding steps) to WINDOW points either side of where it
# crosses the budget, so a solve makes O(log range + WINDOW) builds whatever the budget.
MAX_SCAN = 400
WINDOW = 64


def parse_amount(text: str, option: str) -> int:
    """``150M`` -> 150000000; also ``1.5G``, ``2e6``, ``300_000``. A UsageError otherwise."""
    cleaned = text.strip().replace("_", "").replace(",", "").lower()
    match = _AMOUNT.match(cleaned)
    if not match:
        raise UsageError(f"{option} takes a count like 150M, 1.5G or 2000000, got {text!r}")
    number, exponent, suffix = match.groups()
    try:
        value = Fraction(numbers.parse(number + (f"e{exponent}" if exponent else "")))
    except numbers.LiteralError as exc:
        raise UsageError(f"{option}: {exc}") from None
    value *= SUFFIXES[suffix]
    if value.denominator != 1 or value <= 0:
        raise UsageError(f"{option} must be a positive whole count, got {text!r}")
    if value > MAX_BUDGET:
        raise UsageError(f"{option} is beyond {MAX_BUDGET:.0e}, got {text!r}")
    return int(value)


@dataclass
class Candidate:
    """One point the exact search evaluated."""

    value: Any
    total: Total | None  # None: the spec rejects this value (e.g. a feature map below 1 pixel)


@dataclass
class Solution:
    """The answers of one solve."""

    model: str
    variable: str                      # "alpha" or "resolution"
    budgets: dict[str, int]
    fixed: dict[str, Any]              # the other parameter values (exact)
    exact: Candidate | None            # the largest fitting grid value and its exact totals
    above: Candidate | None            # the next grid value (over budget), None when capped
    boundary: Any = None               # bisection: largest fitting value to 1e-6 (alpha only)
    capped: bool = False               # the budget is not reached below the parameter's maximum
    ideal: dict[str, Any] = field(default_factory=dict)
    ideal_reason: str = ""             # why there is no closed-form answer
    evaluations: int = 0
    step: Any = None
    searched: str = ""
    at_ideal: Candidate | None = None  # the ideal answer rounded down to the grid, counted exactly


class Search:
    """Exact totals of one spec as one parameter varies, with every evaluation counted."""

    def __init__(self, spec: Spec, base: Mapping[str, Any], name: str, convention: str,
                 budgets: Mapping[str, int]):
        self.spec = spec
        self.base = dict(base)
        self.name = name
        self.rules = conventions.get(convention)
        self.budgets = dict(budgets)
        self.cache: dict[Any, Candidate] = {}
        self.narrowed: list[tuple[Any, Any]] = []  # ranges bisected before scanning
        self.window: tuple[Any, Any] | None = None  # the range scanned after the last bisection

    def __call__(self, value: Any) -> Candidate:
        if value not in self.cache:
            try:
                values = resolve(self.spec, {**self.base, self.name: value}, self.rules)
                total = Report.from_graph(self.spec.build(values), values, self.rules).total
            except CostcalcError:
                total = None
            self.cache[value] = Candidate(value, total)
        return self.cache[value]

    def fits(self, value: Any) -> bool:
        total = self(value).total
        return total is not None and all(getattr(total, q) <= b for q, b in self.budgets.items())

    @property
    def evaluations(self) -> int:
        return len(self.cache)


def solve(spec: Spec, budgets: Mapping[str, int], overrides: Mapping[str, Any],
          convention: str = "paper", step: int = 8) -> Solution:
    """Largest alpha (no alpha in ``overrides``) or resolution (alpha given) within ``budgets``."""
    if not budgets:
        raise UsageError("give a budget: --macs (e.g. 150M) and/or --params (e.g. 2M)")
    has = {n: n in spec.parameters and spec.parameters[n].type == "number"
           for n in ("alpha", "resolution")}
    if "alpha" in overrides or not has["alpha"]:
        if not has["resolution"]:
            raise UsageError(f"{spec.name} has neither an 'alpha' nor a 'resolution' parameter "
                             "to solve for")
        if step < 1:
            raise UsageError(f"--step must be a positive number of pixels, got {step}")
        return _solve_resolution(spec, budgets, overrides, convention, step)
    return _solve_alpha(spec, budgets, overrides, convention)


def _ideal(spec: Spec, overrides: Mapping[str, Any], convention: str, variable: str,
           budgets: Mapping[str, int], upper: Any) -> tuple[dict, str]:
    """The closed-form answer, or the reason there is none."""
    import sympy

    from costcalc.symbolic.calculus import largest_fitting
    from costcalc.symbolic.derive import derive

    try:
        model = derive(spec, overrides, convention)
    except CostcalcError as exc:
        return {}, f"no closed form: {exc}"
    symbol = "alpha" if variable == "alpha" else "rho"
    sym = model.symbols[symbol]
    fixed = {s: v for s, v in model.at.items() if s != sym}
    scale = 1 if variable == "alpha" else Fraction(model.base_resolution)
    best = None
    for quantity, budget in budgets.items():
        total = getattr(model.report.total, quantity)
        if not total_has(total, sym):
            value = model.evaluate(total)
            if value > budget or len(budgets) == 1:
                raise UsageError(f"{spec.name} has {_count(value)} {quantity} at every {variable}"
                                 f" ({'over' if value > budget else 'within'} the budget "
                                 f"{budget}): {quantity} do not depend on {variable}")
            continue
        root = largest_fitting(total, sym, fixed, budget, Fraction(upper) / scale)
        if root.value is None:
            return {}, f"no {variable} fits the {quantity} budget in the closed form"
        if best is None or root.value < best[1].value:
            best = (quantity, root)
    if best is None:
        return {}, f"the budgets do not depend on {variable}"  # pragma: no cover - raised above
    quantity, root = best
    value = root.value * scale
    at = dict(model.at)
    at[sym] = root.value
    totals = {q: float(sympy.sympify(getattr(model.report.total, q)).xreplace(at).evalf(30))
              for q in QUANTITIES}
    return {"value": value, "binding": quantity, "capped": root.capped,
            "polynomial": root.polynomial, "region": root.region, "symbol": symbol,
            "totals": totals, "model": model}, ""


def _count(value: Any) -> str:
    return numbers.format_number(to_fraction(value))


def total_has(total: Any, sym: Any) -> bool:
    return hasattr(total, "has") and total.has(sym)


def _solve_alpha(spec, budgets, overrides, convention) -> Solution:
    param = spec.parameters["alpha"]
    if param.choices is not None:
        return _solve_choice(spec, budgets, overrides, convention, param.choices)
    upper = Fraction(param.maximum) if param.maximum is not None else Fraction(8)
    search = Search(spec, overrides, "alpha", convention, budgets)
    ideal, reason = _ideal(spec, overrides, convention, "alpha", budgets, upper)
    hint = _hint(ideal)
    top = _scan_top(search, COARSE, upper, hint)
    fine_top = None
    start = top if top is not None else Fraction(0)
    value = start + FINE
    while value < start + COARSE and value <= upper:
        if search.fits(value):
            fine_top = value
        value += FINE
    answer = fine_top if fine_top is not None else top
    if answer is None:
        smallest = search(FINE)
        raise UsageError(_nothing_fits("alpha", numbers.format_number(FINE), smallest, budgets))
    capped = answer + FINE > upper
    above = None if capped else search(answer + FINE)
    boundary = None
    if not capped:
        lo, hi = answer, answer + FINE
        while hi - lo > BISECT:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if search.fits(mid) else (lo, mid)
        boundary = lo
    fixed = {"resolution": resolve(spec, dict(overrides), conventions.get(convention))
             .get("resolution")}
    twin = _on_grid(search, hint, FINE, FINE)
    return Solution(spec.name, "alpha", dict(budgets), fixed, search(answer), above, boundary,
                    capped, ideal, reason, search.evaluations, FINE,
                    _scanned(search, f"every {numbers.format_number(COARSE)}",
                             f"every {numbers.format_number(COARSE)} in "
                             f"(0, {numbers.format_number(_last(search))}]")
                    + f", every {numbers.format_number(FINE)} above the largest fitting one, then "
                    f"bisection to {numbers.format_number(BISECT)}", twin)


def _solve_choice(spec, budgets, overrides, convention, choices) -> Solution:
    """alpha restricted to listed widths (ShuffleNet v2): each choice counted exactly."""
    search = Search(spec, overrides, "alpha", convention, budgets)
    ordered = sorted(choices)
    fitting = [c for c in ordered if search.fits(c)]
    if not fitting:
        raise UsageError(_nothing_fits("alpha", numbers.format_number(ordered[0]),
                                       search(ordered[0]), budgets))
    answer = fitting[-1]
    bigger = [c for c in ordered if c > answer]
    above = search(bigger[0]) if bigger else None
    fixed = {"resolution": resolve(spec, dict(overrides), conventions.get(convention))
             .get("resolution")}
    shown = ", ".join(numbers.format_number(c) for c in ordered)
    return Solution(spec.name, "alpha", dict(budgets), fixed, search(answer), above, None,
                    not bigger, {}, f"no closed form: alpha takes only the choices {shown}",
                    search.evaluations, None, f"every choice of alpha ({shown})")


def _solve_resolution(spec, budgets, overrides, convention, step) -> Solution:
    param = spec.parameters["resolution"]
    upper = int(param.maximum) if param.maximum is not None else 100_000
    lowest = max(step, -(-int(param.minimum or 1) // step) * step)
    search = Search(spec, overrides, "resolution", convention, budgets)
    ideal, reason = _ideal(spec, overrides, convention, "resolution", budgets, upper)
    hint = _hint(ideal)
    top = _scan_top(search, step, upper, hint, start=lowest)
    if top is None:
        raise UsageError(_nothing_fits(f"resolution (multiple of {step})", str(lowest),
                                       search(lowest), budgets))
    capped = top + step > upper
    above = None if capped else search(top + step)
    values = resolve(spec, dict(overrides), conventions.get(convention))
    fixed = {"alpha": values.get("alpha")} if "alpha" in values else {}
    twin = _on_grid(search, hint, step, lowest)
    return Solution(spec.name, "resolution", dict(budgets), fixed, search(top), above, None,
                    capped, ideal, reason, search.evaluations, step,
                    _scanned(search, f"every multiple of {step}", f"every multiple of {step} "
                             f"from {lowest} to {_last(search)}"), twin)


def _scan_top(search: Search, step: Any, upper: Any, hint: Any, start: Any = None) -> Any:
    """The largest fitting multiple of ``step`` in [start, hi], hi well past the ideal ``hint``.

    Without a hint (no closed form) hi doubles until two doublings in a row fail.
    """
    start = step if start is None else start
    if hint is not None:
        hi = min(Fraction(upper), max(hint * 3 / 2, hint + 10 * step))
    else:
        hi = Fraction(start)
        while hi < upper and (search.fits(hi) or search.fits(min(upper, 2 * hi))):
            hi = min(Fraction(upper), 2 * hi)
    top = None
    value = Fraction(start)
    while True:
        if (hi - value) / step > MAX_SCAN:
            value, hi = _narrow(search, step, value, hi)
            search.window = (value, hi)
        while value <= hi:
            if search.fits(value):
                top = value
            value += step
        if top is not None and top + step > hi and hi < upper:
            hi = min(Fraction(upper), 2 * hi)  # still fitting at the top: look further
            continue
        return numbers.normalize(top) if top is not None else None


def _narrow(search: Search, step: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """[lo, hi] cut to WINDOW grid points either side of the largest fitting one by bisection."""
    last = int((hi - lo) // step)
    search.narrowed.append((lo, lo + last * step))
    if not search.fits(lo):
        return lo, lo + WINDOW * step
    if search.fits(lo + last * step):
        return max(lo, lo + (last - WINDOW) * step), lo + last * step
    good, bad = 0, last
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if search.fits(lo + mid * step) else (good, mid)
    return lo + max(0, good - WINDOW) * step, lo + min(last, good + WINDOW) * step


def _scanned(search: Search, unit: str, what: str) -> str:
    """How the search went, for the footer: ``what`` or the bisections and the scanned window."""
    if not search.narrowed:
        return what
    ranges = ", ".join(f"[{numbers.format_number(lo)}, {numbers.format_number(hi)}]"
                       for lo, hi in search.narrowed)
    lo, hi = search.window
    return (f"bisection in {ranges} (the cost grows with the value), then {unit} in "
            f"[{numbers.format_number(lo)}, {numbers.format_number(hi)}]")


def _on_grid(search: Search, hint: Fraction | None, step: Any, lowest: Any) -> Candidate | None:
    """The ideal answer rounded down to the grid, counted exactly."""
    if hint is None:
        return None
    value = numbers.normalize((hint // step) * step)
    return search(value) if value >= lowest else None


def _hint(ideal: dict) -> Fraction | None:
    if not ideal or ideal["capped"]:
        return None
    return Fraction(float(ideal["value"])).limit_denominator(10**6)


def _last(search: Search) -> Any:
    return numbers.normalize(max(search.cache)) if search.cache else 0


def _nothing_fits(what: str, smallest_text: str, smallest: Candidate,
                  budgets: Mapping[str, int]) -> str:
    wanted = " and ".join(f"{q} <= {b}" for q, b in budgets.items())
    if smallest.total is None:
        return f"no {what} fits {wanted}"
    costs = ", ".join(f"{getattr(smallest.total, q)} {q}" for q in budgets)
    return f"no {what} fits {wanted}: the smallest searched, {smallest_text}, costs {costs}"

