"""``costcalc list`` (the zoo with headline numbers) and ``costcalc show`` (a resolved spec)."""
from __future__ import annotations

from enum import Enum
from typing import Any, Optional

import typer

from costcalc.cli import app
from costcalc.commands import options
from costcalc.commands.report import EXACT, FORMAT
from costcalc.render import Format


@app.command("list")
def list_models(
    convention: str = options.CONVENTION,
    format: Format = FORMAT,
    exact: bool = EXACT,
) -> None:
    """The model zoo: one line per model with its description and costs at the defaults.

    Examples:

        costcalc list

        costcalc list --convention torchvision --format markdown
    """
    from costcalc.render import render

    typer.echo(render(zoo_table(convention), format, exact=exact), nl=False)


def zoo_table(convention: str = "paper"):
    """Every zoo model at its default parameters, as a Table."""
    from costcalc import zoo
    from costcalc.api import analyze, load
    from costcalc.table import Column, Table

    columns = [Column("name", "name"), Column("aliases", "aliases"),
               Column("macs", "MACs", "count"), Column("params", "params", "count"),
               Column("parameters", "parameters"), Column("description", "description")]
    rows = []
    for name in zoo.names():
        spec = load(name)
        report = analyze(spec, convention)
        aliases = [a for a, target in zoo.ALIASES.items() if target == name]
        rows.append({"name": name, "aliases": ", ".join(aliases), "macs": report.total.macs,
                     "params": report.total.params, "parameters": ", ".join(spec.parameters),
                     "description": spec.description})
    return Table(f"model zoo (defaults, {convention} convention)", columns, rows,
                 ["costcalc show NAME prints a model's spec; costcalc NAME its per-layer report"])


class ShowFormat(str, Enum):
    """Formats of a resolved spec."""

    yaml = "yaml"
    json = "json"


@app.command()
def show(
    model: str = options.MODEL,
    alpha: Optional[str] = options.ALPHA,
    res: Optional[str] = options.RES,
    classes: Optional[str] = options.CLASSES,
    set_: Optional[list[str]] = options.SET,
    format: ShowFormat = typer.Option(ShowFormat.yaml, "--format", "-f",
                                      help="yaml (a spec file) or json."),
) -> None:
    """The resolved spec of MODEL: parameter values set, expressions evaluated.

    The output is a valid spec: save it, edit it, and run costcalc on the file.

    Examples:

        costcalc show v2 --alpha 0.5 > my_v2.yaml && costcalc my_v2.yaml

        costcalc show v3-small --set flavor=torchvision --format json
    """
    from costcalc.api import load

    spec = load(model)
    document = resolved_document(spec, options.overrides(alpha, res, classes, set_))
    if format == ShowFormat.json:
        import json

        typer.echo(json.dumps(document, indent=2))
        return
    import yaml

    from costcalc.api import SHORTCUTS
    from costcalc.report_table import parameter_text

    values = spec.resolve({SHORTCUTS.get(k, k): v for k, v in
                           options.overrides(alpha, res, classes, set_).items()})
    from costcalc.render.controls import visible

    # a newline in the name would end the comment and start YAML of its own: shown escaped
    header = (f"# {visible(f'{spec.name} at {parameter_text(values)}')}, resolved by "
              "costcalc show:\n"
              "# expressions evaluated (parameters folded into the numbers are dropped).\n"
              "# Edit it and run: costcalc FILE.yaml\n")
    typer.echo(header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None,
                                       width=110, allow_unicode=False), nl=False)


def resolved_document(spec, overrides: dict[str, str]) -> dict[str, Any]:
    """The spec as plain data with defaults replaced and every evaluable expression evaluated."""
    from costcalc.api import SHORTCUTS

    values = spec.resolve({SHORTCUTS.get(k, k): v for k, v in overrides.items()})
    env = spec.environment(values)
    kept: list[str] = []
    doc = _plain(spec.document)
    params = doc.get("parameters") or {}
    for name, declared in params.items():
        value = _value(values[name])
        if isinstance(declared, dict):
            declared["default"] = value
        else:
            params[name] = value
    doc["input"] = _evaluate(doc["input"], env, kept)
    doc["layers"] = [_entry(entry, env, kept, set(doc.get("blocks") or ())) for entry in doc["layers"]]
    if not kept and not doc.get("blocks"):
        doc.pop("let", None)
    used = _names([kept, doc.get("let"), doc.get("blocks")])
    for name in list(params):
        if name not in used:
            del params[name]  # folded into the numbers: changing it would do nothing
    if not params:
        doc.pop("parameters", None)
    return doc


def _names(value: Any) -> set[str]:
    """Every name the expressions inside ``value`` refer to."""
    from costcalc import expr

    if isinstance(value, dict):
        return set().union(*(_names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_names(v) for v in value)) if value else set()
    if isinstance(value, str):
        try:
            return set(expr.compile_expression(value).names)
        except expr.ExprError:
            return set()
    return set()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _value(value)


def _value(value: Any) -> Any:
    """Exact numbers as YAML numbers (0.75, 224); other rationals as an expression text."""
    from fractions import Fraction

    from costcalc import expr

    if isinstance(value, Fraction):
        text = expr.format_number(value)
        if value.denominator == 1:
            return int(value)
        return float(text) if "/" not in text else text
    return value


NESTED = ("body", "shortcut", "branches")


def _entry(entry: Any, env: dict, kept: list[str], blocks: set[str]) -> Any:
    """One layer entry with its values evaluated. Arguments of a user block are expressions
    even when they are words, so text results are written back quoted (``'relu'``)."""
    if not isinstance(entry, dict):
        return entry
    quote = entry.get("kind") in blocks
    result = {}
    for key, value in entry.items():
        if key in ("kind", "name"):
            result[key] = value
        elif key in NESTED and isinstance(value, list):
            if key == "branches":
                result[key] = [[_entry(e, env, kept, blocks) for e in branch]
                               if isinstance(branch, list) else branch for branch in value]
            else:
                result[key] = [_entry(e, env, kept, blocks) for e in value]
        else:
            evaluated = _evaluate(value, env, kept)
            if quote and isinstance(evaluated, str) and evaluated != value:
                evaluated = repr(evaluated)
            result[key] = evaluated
    return result


def _evaluate(value: Any, env: dict, kept: list[str]) -> Any:
    """Evaluate an expression string in the parameter environment; keep it when it needs
    names only known while building (in_channels, i, block parameters) or is a plain word."""
    from costcalc import expr

    if isinstance(value, list):
        return [_evaluate(v, env, kept) for v in value]
    if not isinstance(value, str):
        return value
    try:
        result = expr.compile_expression(value).evaluate(env)
    except expr.ExprError:
        if not value.isidentifier():
            kept.append(value)
        return value
    if isinstance(result, (bool, str)) or expr.is_exact(result):
        return _value(result)
    kept.append(value)
    return value
