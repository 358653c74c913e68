"""The ``formula`` and ``solve`` results as neutral Tables (every output format) and JSON."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc import numbers
from costcalc.symbolic import terms as terms_mod
from costcalc.symbolic.calculus import Sensitivity
from costcalc.symbolic.layers import LayerFormula
from costcalc.symbolic.solve import Solution
from costcalc.symbolic.derive import DESCRIPTIONS, Model, number_text, to_fraction
from costcalc.table import Column, Row, Table

LETTERS = {
    "D_F": "side of the layer's output feature map at rho = 1 (input side for stride 1)",
    "D_H": "output height at rho = 1 (non-square maps)",
    "D_W": "output width at rho = 1 (non-square maps)",
    "M": "input channels before alpha (and t)",
    "N": "output channels before alpha (and t)",
    "D_K": "kernel side",
    "g": "groups of a grouped convolution",
}

LAYER_COLUMNS = [
    Column("name", "layer"), Column("kind", "kind"), Column("formula", "MACs formula", "expr"),
    Column("D_F", "D_F", "number"), Column("M", "M", "number"), Column("N", "N", "number"),
    Column("D_K", "D_K", "number"), Column("macs", "MACs", "expr"),
    Column("params", "params", "expr"), Column("exact_macs", "exact MACs", "count"),
]
SENSITIVITY_COLUMNS = [
    Column("quantity", "quantity"), Column("symbol", "d/d"),
    Column("derivative", "derivative", "expr"), Column("value", "value at point", "number"),
    Column("elasticity", "elasticity", "ratio"),
]
SOLVE_COLUMNS = [
    Column("method", "method"), Column("alpha", "alpha", "number"),
    Column("resolution", "resolution", "number"), Column("macs", "MACs", "count"),
    Column("params", "params", "count"), Column("note", "note"),
]


class Text:
    """A cell shown as plain text everywhere and as given LaTeX in LaTeX output."""

    def __init__(self, text: str, latex: str):
        self.text = text
        self.latex = latex

    def __str__(self) -> str:
        return self.text

    def _latex(self, printer: Any = None) -> str:  # sympy.latex() calls this
        return self.latex


def collected(model: Model, layers: list[LayerFormula]) -> dict[str, list[terms_mod.Term]]:
    """MACs and params collected by powers of alpha and rho, with their sources."""
    gens = terms_mod.generators(model.symbols)
    return {q: terms_mod.collect(getattr(model, q), gens, layers, q) for q in ("macs", "params")}


def footer(model: Model, totals: dict[str, list[terms_mod.Term]]) -> list[str]:
    """The totals, where they hold, and how far the exact count is from them."""
    lines = [f"MACs   = {terms_mod.text(totals['macs'])}",
             "         " + "; ".join(f"{_pretty(t.monomial_code)}: {t.source_text}"
                                     for t in totals["macs"] if t.sources),
             f"params = {terms_mod.text(totals['params'])}"]
    if model.branches:
        chosen = ", ".join(f"{b.atom} -> {b.chosen}" for b in model.branches[:4])
        more = f" and {len(model.branches) - 4} more" if len(model.branches) > 4 else ""
        lines.append(f"valid for {model.region or 'every point'} (branches taken: {chosen}{more})")
    lines.append(f"at {model.point_text() or 'the defaults'}: " + "; ".join(
        _gap_text(name, model.gap(q)) for q, name in (("macs", "MACs"), ("params", "params"))))
    if model.sources:
        shown = ", ".join(f"{s.layer} {s.reason}" for s in model.sources[:4])
        more = f" and {len(model.sources) - 4} more layers" if len(model.sources) > 4 else ""
        lines.append(f"gap from: {shown}{more}")
    lines.append("letters: D_F output side at rho = 1, M and N input and output channels before "
                 "alpha (and t), D_K kernel side; ideal channels alpha*c, ideal sizes H/s")
    return lines


def _gap_text(name: str, gap: dict) -> str:
    return (f"{name} ideal {number_text(gap['ideal'])}, exact {gap['exact']}, gap "
            f"{number_text(gap['absolute'])} ({100 * gap['relative']:.4f}%)")


def _pretty(code: str) -> str:
    return code.replace("**", "^").replace("*", " ")


def layer_table(model: Model, layers: list[LayerFormula]) -> Table:
    """One row per layer: its formula in the notes' letters, the letters, the closed forms."""
    totals = collected(model, layers)
    rows = []
    for layer in layers:
        rows.append({"name": layer.name, "kind": layer.kind,
                     "formula": layer.macs_formula or Text("", ""),
                     "D_F": layer.letters.get("D_F"), "M": layer.letters.get("M"),
                     "N": layer.letters.get("N"), "D_K": layer.letters.get("D_K"),
                     "macs": layer.macs, "params": layer.params,
                     "exact_macs": layer.exact_macs})
    rows.append(Row({"name": "total", "macs": _total_cell(totals["macs"]),
                     "params": _total_cell(totals["params"]),
                     "exact_macs": model.exact.total.macs}, style="total"))
    return Table(_title(model), LAYER_COLUMNS, rows, footer(model, totals),
                 data=formula_data(model, layers, totals))


def _total_cell(terms: list[terms_mod.Term]) -> Text:
    return Text(terms_mod.code(terms), terms_mod.join(terms_mod.latex_lines(terms)))


def sensitivity_table(model: Model, layers: list[LayerFormula],
                      rows_in: list[Sensitivity]) -> Table:
    """d(MACs)/d(symbol) and d(params)/d(symbol) at the point, with elasticities."""
    totals = collected(model, layers)
    rows = [{"quantity": "MACs" if s.quantity == "macs" else "params", "symbol": s.symbol,
             "derivative": s.derivative, "value": _value(s.value), "elasticity": s.elasticity}
            for s in rows_in]
    notes = footer(model, totals)
    notes.append("elasticity = (x / cost) d(cost)/dx: percent change of the ideal cost per "
                 "percent change of x at the point")
    data = formula_data(model, layers, totals)
    data["sensitivity"] = [sensitivity_record(s) for s in rows_in]
    return Table(_title(model) + ": sensitivities", SENSITIVITY_COLUMNS, rows, notes, data=data)


def _value(value: Any) -> Any:
    exact = to_fraction(value)
    if isinstance(exact, Fraction):
        return float(exact)
    return exact


def _title(model: Model) -> str:
    names = ", ".join(model.symbols) or "no symbols"
    return f"{model.spec.name}: closed form in {names} ({model.convention.name} convention)"


def sensitivity_record(s: Sensitivity) -> dict:
    return {"quantity": s.quantity, "symbol": s.symbol, "derivative": str(s.derivative),
            "value": json_number(s.value), "elasticity": s.elasticity}


def json_number(value: Any) -> Any:
    """An exact number for JSON: an int when whole, else a string ``p/q`` sympify reads."""
    return numbers.json_rational(to_fraction(value))


def formula_data(model: Model, layers: list[LayerFormula], totals: dict) -> dict:
    """The JSON contract of ``costcalc formula``."""
    symbols = {}
    for name, sym in model.symbols.items():
        description = (DESCRIPTIONS[name].format(base=number_text(model.base_resolution))
                       if name in DESCRIPTIONS else  # a parameter kept symbolic (--symbols)
                       model.spec.parameters[name].description or f"spec parameter {name}")
        symbols[name] = {"description": description, "value": json_number(model.at[sym])}
    used = sorted({k for layer in layers for k in layer.letters})
    gap = {}
    for q in ("macs", "params"):
        g = model.gap(q)
        gap[q] = {"exact": g["exact"], "ideal": json_number(g["ideal"]),
                  "absolute": json_number(g["absolute"]), "relative": g["relative"]}
    return {
        "model": model.spec.name,
        "convention": model.convention.name,
        "parameters": {k: numbers.json_value(v) for k, v in model.values.items()},
        "symbols": symbols,
        "letters": {k: LETTERS[k] for k in used if k in LETTERS},
        "region": model.region,
        "branches": [{"expression": str(b.atom), "chosen": str(b.chosen),
                      "conditions": [str(c) for c in b.conditions]} for b in model.branches],
        "total": {q: terms_mod.code(totals[q]) for q in ("macs", "params")},
        "terms": {q: [{"monomial": t.monomial_code, "coefficient": str(t.coefficient),
                       "from": t.sources} for t in totals[q]] for q in ("macs", "params")},
        "exact": {"macs": model.exact.total.macs, "params": model.exact.total.params},
        "gap": gap,
        "gap_sources": [{"layer": s.layer, "reason": s.reason} for s in model.sources],
        "layers": [_layer_record(layer) for layer in layers],
    }


def _layer_record(layer: LayerFormula) -> dict:
    formula = {}
    if layer.macs_formula is not None:
        formula = {"macs": layer.macs_formula.code, "params": layer.params_formula.code}
    return {"name": layer.name, "kind": layer.kind, "op_class": layer.op_class,
            "formula": formula, "letters": {k: json_number(v) for k, v in layer.letters.items()},
            "macs": str(layer.macs), "params": str(layer.params),
            "exact": {"macs": layer.exact_macs, "params": layer.exact_params}}


def solve_table(solution: Solution) -> Table:
    """Exact and ideal answers of a budget solve, side by side."""
    var = solution.variable
    budgets = " and ".join(f"{numbers.exact_human(b)} {'MACs' if q == 'macs' else 'params'}"
                           for q, b in solution.budgets.items())
    fixed = ", ".join(f"{k} {number_text(v)}" for k, v in solution.fixed.items() if v is not None)
    title = f"{solution.model}: largest {var} within {budgets}" + (f" at {fixed}" if fixed else "")
    rows = []
    exact = solution.exact
    note = "largest fitting value on the grid"
    if solution.capped:
        note = f"the budget allows more than the largest {var} the spec accepts"
    elif solution.above is not None and solution.above.total is not None:
        over = solution.above.total
        note = (f"{var} {number_text(solution.above.value)} costs {over.macs} MACs, "
                f"{over.params} params")
    rows.append(_solve_row("exact count", var, exact.value, solution.fixed,
                           exact.total.macs, exact.total.params, note))
    if solution.ideal:
        ideal = solution.ideal
        value = float(ideal["value"])
        rows.append(_solve_row("ideal closed form", var, _round(value, var), solution.fixed,
                               round(ideal["totals"]["macs"]), round(ideal["totals"]["params"]),
                               f"binding: {ideal['binding']}" if not ideal["capped"]
                               else "capped at the parameter's maximum"))
    twin = solution.at_ideal
    if twin is not None and twin.total is not None:
        fits = all(getattr(twin.total, q) <= b for q, b in solution.budgets.items())
        rows.append(_solve_row("ideal value, exact count", var, twin.value, solution.fixed,
                               twin.total.macs, twin.total.params,
                               "fits the budget" if fits else "over the budget"))
    data = solve_data(solution)
    notes = []
    if solution.ideal and solution.ideal.get("polynomial") is not None:
        ideal = solution.ideal
        budget = solution.budgets[ideal["binding"]]
        notes.append(f"ideal: {_pretty(str(ideal['polynomial']))} = {budget} for "
                     f"{ideal['region']}: {ideal['symbol']} = {ideal['value']}")
    elif solution.ideal_reason:
        notes.append(f"ideal: {solution.ideal_reason}")
    if solution.boundary is not None:
        notes.append(f"the exact count fits up to alpha = {float(solution.boundary):.6f}, where a "
                     "channel rounding step crosses the budget (bisection to 1e-6)")
    notes.append(f"exact search: {solution.searched}; {solution.evaluations} builds")
    return Table(title, SOLVE_COLUMNS, rows, notes, data=data)


def _round(value: float, var: str) -> str:
    return f"{value:.6f}" if var == "alpha" else f"{value:.2f}"


def _solve_row(method: str, var: str, value: Any, fixed: dict, macs: Any, params: Any,
               note: str) -> dict:
    row = {"method": method, "macs": macs, "params": params, "note": note}
    row[var] = value
    for key, fixed_value in fixed.items():
        row[key] = fixed_value
    return row


def solve_data(solution: Solution) -> dict:
    """The JSON form of a solve."""
    exact = solution.exact
    result = {
        "model": solution.model, "solve_for": solution.variable, "budgets": solution.budgets,
        "fixed": {k: numbers.json_value(v) for k, v in solution.fixed.items()},
        "exact": {solution.variable: numbers.json_value(exact.value), "macs": exact.total.macs,
                  "params": exact.total.params},
        "capped": solution.capped, "search": solution.searched,
        "evaluations": solution.evaluations,
    }
    if solution.above is not None and solution.above.total is not None:
        result["next"] = {solution.variable: numbers.json_value(solution.above.value),
                          "macs": solution.above.total.macs,
                          "params": solution.above.total.params}
    if solution.boundary is not None:
        result["boundary"] = float(solution.boundary)
    if solution.ideal:
        ideal = solution.ideal
        result["ideal"] = {solution.variable: float(ideal["value"]),
                           "exact_form": str(ideal["value"]),
                           "binding": ideal["binding"], "capped": ideal["capped"],
                           "equation": None if ideal["polynomial"] is None else
                           f"{ideal['polynomial']} = {solution.budgets[ideal['binding']]}",
                           "region": ideal["region"], "macs": ideal["totals"]["macs"],
                           "params": ideal["totals"]["params"]}
    else:
        result["ideal"] = {"unavailable": solution.ideal_reason}
    return result
