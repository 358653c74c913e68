"""``costcalc compare``: one row per model variant, with ratios to a baseline row."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import app
from costcalc.commands import options, variants
from costcalc.commands.report import EXACT, FORMAT
from costcalc.render import Format

METRICS = (("macs", "MACs"), ("params", "params"), ("activations", "activations"))


@app.command()
def compare(
    models: list[str] = typer.Argument(..., metavar="VARIANT",
                                       help="MODEL or MODEL:NAME=VALUE,... (zoo name or spec "
                                            "path), e.g. v2:alpha=0.5,res=160."),
    alpha: Optional[str] = variants.ALPHAS,
    res: Optional[str] = variants.RESES,
    classes: Optional[str] = variants.CLASSESES,
    set_: Optional[list[str]] = variants.SETS,
    convention: str = options.CONVENTION,
    baseline: Optional[str] = typer.Option(None, "--baseline", "-b",
                                           help="Row the ratios are relative to (its label, "
                                                "its variant text or its 1-based number); "
                                                "default: the first row."),
    sort: Optional[str] = typer.Option(None, "--sort",
                                       help="Sort rows by a column: variant, macs, params, "
                                            "activations or a ratio column (macs_ratio, ...)."),
    reverse: bool = typer.Option(False, "--reverse", help="Sort in descending order."),
    max_points: int = variants.MAX_POINTS_OPTION,
    device: Optional[str] = typer.Option(None, "--device", "-D",
                                         help="Add predicted latency on this device profile "
                                              "(costcalc latency)."),
    dtype: Optional[str] = typer.Option(None, "--dtype", "-t",
                                        help="Element type for --device (default: the "
                                             "device's)."),
    format: Format = FORMAT,
    exact: bool = EXACT,
) -> None:
    """Totals of several models or variants side by side, with ratios to a baseline.

    Every VARIANT is combined with every value of --alpha/--res/--classes/--set (a cross
    product), so one model and two lists give a whole family.

    Examples:

        costcalc compare v1 v2 v3-large v3-small

        costcalc compare v2 v2:alpha=0.5,res=160 my_net.yaml:t=4

        costcalc compare v2 --alpha 0.35,0.5,0.75,1.0 --res 224,160 --baseline 8

        costcalc compare v1 v2 v3-large --sort macs --format markdown
    """
    from costcalc.render import render

    axes = variants.axes(alpha, res, classes, set_)
    variants.check_points(axes, max_points, len(models))
    table = compare_table(models, axes, convention, baseline, sort, reverse)
    if device is not None or dtype is not None:
        add_latency(table, device, dtype)
    typer.echo(render(table, format, exact=exact), nl=False)


def compare_table(models, axes, convention, baseline=None, sort=None, reverse=False):
    """The compare Table: rows of totals and ratios (library entry point of the command)."""
    from costcalc.api import load
    from costcalc.grid import evaluate_grid
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
    columns += [Column(f"{key}_ratio", f"{title} x", "ratio") for key, title in METRICS]
    from costcalc.conventions import get

    rules = get(convention)
    footer = [f"ratios (x) relative to {base['variant']}",
              f"convention: {rules.name}: {rules.description}"]
    data = {"convention": rules.name, "baseline": base["variant"],
            "variants": [{"variant": r["variant"], "model": r["model"],
                          "parameters": _json_parameters(r["parameters"]),
                          **{k: r[k] for k, _ in METRICS},
                          "ratios": {k: r[f"{k}_ratio"] for k, _ in METRICS}} for r in rows]}
    return Table(f"compare ({rules.name} convention)", columns, rows, footer, data)


def add_latency(table, device, dtype) -> None:
    """Latency columns (ms and x the baseline) beside the counts: costcalc.latency per row."""
    from costcalc.errors import UsageError
    from costcalc.latency.budget import latency_ms
    from costcalc.table import Column

    if device is None:
        raise UsageError("--dtype goes with --device")
    base = table.data["baseline"]
    for row in table.rows:
        model, _ = variants.parse_variant(row["source"])
        row["latency_ms"] = latency_ms(model, row["parameters"], device, dtype)
    reference = next(r["latency_ms"] for r in table.rows if r["variant"] == base)
    for row, entry in zip(table.rows, table.data["variants"]):
        row["latency_ratio"] = row["latency_ms"] / reference
        entry["latency_ms"] = row["latency_ms"]
        entry["ratios"]["latency"] = row["latency_ratio"]
    table.columns.insert(4, Column("latency_ms", "latency ms", "number"))
    table.columns.append(Column("latency_ratio", "latency x", "ratio"))
    table.data["device"] = device
    table.footer.append(f"latency: predicted on {device} (costcalc latency --device {device} "
                        "shows the per-layer terms)")


def _json_parameters(values):
    from costcalc.analysis import json_value

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
