"""Counting conventions side by side: each profile's rules as formulas and its totals reconciled with paper."""
from __future__ import annotations

from typing import Any, Optional

from costcalc.graph.quantities import LABELS, label


def formula(weights: dict[str, Any], base: Optional[dict[str, Any]] = None,
            base_name: str = "") -> str:
    """Weights as text: ``conv_macs + 2 x bn``; relative to ``base`` when given."""
    from costcalc import numbers

    terms = []
    keys = list(base or {}) + [k for k in weights if k not in (base or {})]
    for key in keys:
        w = weights.get(key, 0) - (base or {}).get(key, 0)
        if w == 0:
            continue
        sign = "-" if w < 0 else "+"
        size = abs(w)
        terms.append(f"{sign} {'' if size == 1 else numbers.format_number(size) + ' x '}{key}")
    text = " ".join(terms)
    if base is not None:
        return f"{base_name} {text}".strip() if text else base_name
    return text[2:] if text.startswith("+ ") else text or "0"


def baseline(rules) -> tuple[dict[str, Any], str]:
    """What a profile's reported number is compared with: paper MACs, or 2 x paper for FLOPs."""
    from costcalc.costing.conventions import CONVENTIONS

    paper = CONVENTIONS["paper"]
    if rules.unit == "FLOPs":
        return paper.flop_weights(), "2 x paper"
    return dict(paper.macs), "paper"


def formulas_table(names: list[str]):
    """Every profile's reported-number, FLOPs and params rule as a formula."""
    from costcalc.costing.conventions import CONVENTIONS, get
    from costcalc.table import Column, Table

    columns = [Column("convention", "convention"), Column("unit", "reports"),
               Column("reported", "reported number"), Column("flops", "FLOPs"),
               Column("params", "params"), Column("classes", "classes"),
               Column("source", "measured on")]
    rows, data = [], {}
    paper = CONVENTIONS["paper"]
    for name in names:
        rules = get(name)
        base, base_name = baseline(rules)
        reported = rules.reported_weights()
        row = {"convention": rules.name, "unit": rules.unit,
               "reported": formula(reported, base, base_name),
               "flops": formula(rules.flop_weights(), paper.flop_weights(), "2 x paper"),
               "params": formula(rules.params, dict(paper.params), "paper"),
               "classes": rules.classes or "model's", "source": rules.source}
        rows.append(row)
        data[rules.name] = {"unit": rules.unit, "macs": dict(rules.macs),
                            "flops": rules.flop_weights(), "params": dict(rules.params),
                            "classes": rules.classes, "description": rules.description,
                            "notes": rules.notes}
    footer = [f"paper = {formula(dict(paper.macs))} (MACs); FLOPs = 2 per multiply-add "
              "(conv_macs, linear_macs) + 1 per single op a profile charges, unless the tool "
              "defines its own"]
    footer += [f"{CONVENTIONS[n].name}: {CONVENTIONS[n].notes}" for n in names
               if n in CONVENTIONS and CONVENTIONS[n].notes]
    footer.append("costcalc conventions MODEL shows every profile's numbers; "
                  "--rules the weight table")
    return Table("counting conventions", columns, rows, footer,
                 {"conventions": _plain(data)})


def rules_table(names: list[str]):
    """One row per quantity, one column per profile: the weight of that quantity in the
    number the profile reports, then the params weights."""
    from costcalc.graph import quantities as q
    from costcalc.costing.conventions import get
    from costcalc.table import Column, Row, Table

    profiles = [get(n) for n in names]
    columns = [Column("quantity", "quantity")] + [
        Column(p.name, p.name + (" (FLOPs)" if p.unit == "FLOPs" else ""), "number")
        for p in profiles]
    rows = []
    compute = [k for k in q.compute_keys() + (q.BN_AFFINE,)
               if any(k in p.reported_weights() for p in profiles)]
    for key in compute:
        row = {"quantity": key}
        for p in profiles:
            row[p.name] = p.reported_weights().get(key, 0)
        rows.append(row)
    for key in q.param_keys() + (q.BN_CHANNELS,):
        if any(key in p.params for p in profiles):
            row = Row({"quantity": f"params: {key}"}, style="subtotal")
            for p in profiles:
                row[p.name] = p.params.get(key, 0)
            rows.append(row)
    footer = [f"{key}: {label(key)}" for key in compute]
    footer.append("Each cell: what one unit of the quantity adds to the number the profile "
                  "reports (its MACs, or its FLOPs where marked); params rows: the parameter "
                  "count.")
    return Table("counting rules per quantity", columns, rows, footer)


def reconcile(model: str, overrides: dict[str, str], names: list[str]) -> list[dict[str, Any]]:
    """Per profile: totals, the difference from paper and the terms it is made of."""
    from costcalc.costing.analyze import resolve
    from costcalc.spec.models import load
    from costcalc.costing.conventions import CONVENTIONS, get
    from costcalc.errors import CostcalcError

    spec = load(model)
    paper = CONVENTIONS["paper"]
    paper_values = resolve(spec, overrides, paper)
    graphs = {}

    def totals(values):
        key = tuple(sorted((k, str(v)) for k, v in values.items()))
        if key not in graphs:
            counts: dict[str, Any] = {}
            for node in spec.build(values).nodes:
                for k, v in node.counts.items():
                    counts[k] = counts.get(k, 0) + v
            graphs[key] = counts
        return graphs[key]

    paper_counts = totals(paper_values)
    results = []
    for name in names:
        rules = get(name)
        try:
            values = resolve(spec, overrides, rules)
            counts = totals(values)
        except CostcalcError as exc:
            # The profile's own setting (tf-slim's 1001 classes) is outside what the spec
            # allows: that row cannot be computed, every other one still can.
            results.append({"convention": rules.name, "unit": rules.unit,
                            "error": _unavailable(rules, exc)})
            continue
        base, base_name = baseline(rules)
        reported = rules.reported(counts)
        paper_reported = paper.weigh(paper_counts, base)
        terms = []
        if values != paper_values:
            changed = {k: v for k, v in values.items() if paper_values.get(k) != v}
            setting = ", ".join(f"{k}={v}" for k, v in changed.items())
            terms.append({"quantity": setting, "weight": 1,
                          "count": paper.weigh(counts, base) - paper_reported,
                          "amount": paper.weigh(counts, base) - paper_reported})
        weights = rules.reported_weights()
        for key in list(base) + [k for k in weights if k not in base]:
            w = weights.get(key, 0) - base.get(key, 0)
            if w and counts.get(key, 0):
                terms.append({"quantity": key, "weight": w, "count": counts[key],
                              "amount": w * counts[key]})
        param_terms = []
        if values != paper_values:
            change = paper.weigh(counts, paper.params) - paper.weigh(paper_counts, paper.params)
            param_terms.append({"quantity": setting, "weight": 1, "count": change,
                                "amount": change})
        for key in list(paper.params) + [k for k in rules.params if k not in paper.params]:
            w = rules.params.get(key, 0) - paper.params.get(key, 0)
            if w and counts.get(key, 0):
                param_terms.append({"quantity": key, "weight": w, "count": counts[key],
                                    "amount": w * counts[key]})
        results.append({
            "convention": rules.name, "unit": rules.unit, "reported": reported,
            "macs": rules.weigh(counts, rules.macs), "flops": rules.weigh(counts, rules.flop_weights()),
            "params": rules.weigh(counts, rules.params),
            "baseline": base_name, "difference": reported - paper_reported, "terms": terms,
            "params_difference": rules.weigh(counts, rules.params) -
            paper.weigh(paper_counts, paper.params),
            "params_terms": param_terms, "parameters": values,
        })
    return results


def _unavailable(rules, exc: Exception) -> str:
    """Why a profile's row cannot be computed for this model."""
    setting = f" (it counts {rules.classes} classes)" if rules.classes is not None else ""
    return f"not computed{setting}: {exc}"


def _terms_text(base_name: str, terms: list[dict[str, Any]]) -> str:
    from costcalc import numbers

    parts = [base_name]
    for term in terms:
        w = term["weight"]
        sign = "-" if w < 0 else "+"
        size = abs(w)
        factor = "" if size == 1 else f"{numbers.format_number(size)} x "
        parts.append(f"{sign} {factor}{term['quantity']} ({term['count']:,})"
                     if isinstance(term["count"], int) else
                     f"{sign} {factor}{term['quantity']} ({term['count']})")
    return " ".join(parts)


def conventions_table(model: str, overrides: dict[str, str], names: list[str]):
    """The side-by-side table of every profile's numbers and its reconciliation with paper."""
    from costcalc.spec.models import load
    from costcalc.costing.report_table import parameter_text
    from costcalc.table import Column, Table

    results = reconcile(model, overrides, names)
    columns = [Column("convention", "convention"), Column("unit", "reports"),
               Column("reported", "reported", "count"), Column("macs", "MACs", "count", priority=3),
               Column("flops", "FLOPs", "count", priority=2), Column("params", "params", "count"),
               Column("difference", "vs paper", "count", priority=1),
               Column("reconciliation", "reported = ", shrink=True),
               Column("params_reconciliation", "params = ", priority=4, shrink=True)]
    rows = []
    for r in results:
        if "error" in r:
            rows.append({"convention": r["convention"], "unit": r["unit"],
                         "reconciliation": r["error"]})
            continue
        rows.append({
            "convention": r["convention"], "unit": r["unit"], "reported": r["reported"],
            "macs": r["macs"], "flops": r["flops"], "params": r["params"],
            "difference": r["difference"],
            "reconciliation": _terms_text(r["baseline"], r["terms"]),
            "params_reconciliation": _terms_text("paper", r["params_terms"]),
        })
    spec = load(model)
    paper_params = results[0]["parameters"]
    used = sorted({t["quantity"] for r in results
                   for t in r.get("terms", []) + r.get("params_terms", [])
                   if t["quantity"] in LABELS or t["quantity"].startswith("act_")})
    footer = [f"parameters: {parameter_text(paper_params, spec.base_resolution)}",
              "reported = the number the tool prints (its MACs or its FLOPs); "
              "paper = conv_macs + linear_macs; each term: weight x total count (in brackets)"]
    footer += [f"{key}: {label(key)}" for key in used]
    footer += [f"{r['convention']}: {r['error']}" for r in results if "error" in r]
    data = {"model": spec.name, "parameters": _plain(paper_params),
            "conventions": _plain([{k: v for k, v in r.items() if k != "parameters"}
                                   for r in results])}
    return Table(f"{spec.name} under every counting convention", columns, rows, footer, data)


def _plain(value: Any) -> Any:
    """JSON-safe: exact non-integers as text."""
    from fractions import Fraction

    from costcalc.costing.report import json_value

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction):
        return json_value(value)
    return value
