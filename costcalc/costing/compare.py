"""The compare table: totals of several models or variants side by side, with ratios to a baseline."""
from __future__ import annotations

from costcalc.costing import variants
from costcalc.costing.variants import METRICS

def compare_table(models, axes, convention, baseline=None, sort=None, reverse=False):
    """The compare Table: rows of totals and ratios (library entry point of the command)."""
    from costcalc.spec.models import load
    from costcalc.costing.grid import evaluate_grid
    from costcalc.table import Column, Table

    rows = []
    for text in models:
        model, settings = variants.parse_variant(text)
        spec = load(model)
        for values, total in evaluate_grid(spec, axes, settings, convention):
            chosen = {**settings, **{k: values[k] for k in axes}}
            chosen = {k: values.get(k, v) for k, v in chosen.items()}
            rows.append({"variant": variants.label(model, chosen), "model": spec.name,
                         "source": text, "parameters": values, "macs": total.macs,
                         "params": total.params, "activations": total.activations})
    base = rows[_baseline_index(rows, baseline)]
    for row in rows:
        for key, _ in METRICS:
            row[f"{key}_ratio"] = row[key] / base[key] if base[key] else None
    if sort:
        key = _sort_key(sort)
        rows.sort(key=lambda r: (r[key] is None, r[key]), reverse=reverse)
    columns = [Column("variant", "variant")]
    columns += [Column(key, title, "count") for key, title in METRICS]
    columns += [Column(f"{key}_ratio", f"{title} x", "ratio", priority=1) for key, title in METRICS]
    from costcalc.costing.conventions import get

    rules = get(convention)
    footer = [f"ratios (x) relative to {base['variant']}",
              f"convention: {rules.name}: {rules.description}"]
    data = {"convention": rules.name, "baseline": base["variant"],
            "variants": [{"variant": r["variant"], "model": r["model"],
                          "parameters": _json_parameters(r["parameters"]),
                          **{k: r[k] for k, _ in METRICS},
                          "ratios": {k: r[f"{k}_ratio"] for k, _ in METRICS}} for r in rows]}
    return Table(f"compare ({rules.name} convention)", columns, rows, footer, data)


def _json_parameters(values):
    from costcalc.costing.report import json_value

    return {k: json_value(v) for k, v in values.items()}


def _baseline_index(rows, baseline) -> int:
    from costcalc.errors import UsageError

    if baseline is None:
        return 0
    if baseline.isdigit() and 1 <= int(baseline) <= len(rows):
        return int(baseline) - 1
    for field in ("variant", "source", "model"):
        matches = [i for i, r in enumerate(rows) if r[field] == baseline]
        if matches:
            return matches[0]
    valid = ", ".join(r["variant"] for r in rows)
    raise UsageError(f"--baseline {baseline!r} matches no row; rows: {valid} "
                     f"(or a number from 1 to {len(rows)})")


def _sort_key(sort: str) -> str:
    from costcalc.errors import UsageError

    wanted = sort.strip().lower().replace(" ", "_")
    keys = ["variant"] + [k for k, _ in METRICS] + [f"{k}_ratio" for k, _ in METRICS]
    aliases = {"name": "variant", "model": "variant", "mac": "macs", "param": "params",
               "activation": "activations", "acts": "activations"}
    wanted = aliases.get(wanted, wanted)
    if wanted not in keys:
        raise UsageError(f"--sort: unknown column {sort!r}; valid: {', '.join(keys)}")
    return wanted
