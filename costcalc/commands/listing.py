"""``costcalc list`` (the zoo and its headline numbers) and ``costcalc show`` (a spec to edit)."""
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
    """Formats of a printed spec."""

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
    """The spec of MODEL, with the parameter values given here as its new defaults.

    Every expression is kept as written, so the output analysed at any parameter values gives
    exactly the numbers of MODEL at those values: save it, edit it, and run costcalc on the file.

    Examples:

        costcalc show v2 --alpha 0.5 > my_v2.yaml && costcalc my_v2.yaml --res 160

        costcalc show v3-small --set flavor=torchvision --format json
    """
    from costcalc.api import load

    spec = load(model)
    given = options.overrides(alpha, res, classes, set_)
    document = shown_document(spec, given)
    if format == ShowFormat.json:
        import json

        typer.echo(json.dumps(document, indent=2, ensure_ascii=True, default=_json_number))
        return
    from costcalc.report_table import parameter_text

    values = spec.resolve(given)
    at = parameter_text(values, spec.base_resolution)
    header = (f"# {_comment(spec.name)} at {_comment(at)}, printed by costcalc show:\n"
              "# every expression as written; the values given became the parameters' defaults.\n"
              "# Edit it and run: costcalc FILE.yaml [--set NAME=VALUE ...]\n")
    typer.echo(header + spec_yaml(document), nl=False)


def shown_document(spec, overrides: dict[str, str]) -> dict[str, Any]:
    """The spec as plain data, expressions untouched, the ``overrides`` written as defaults.

    Nothing is evaluated: a parameter folded into a number while it is still declared would
    make the file answer a changed parameter with the old numbers.
    """
    values = spec.resolve(overrides)
    doc = _plain(spec.document)
    params = doc.get("parameters") or {}
    for name in overrides:
        declared = params[name]
        if isinstance(declared, dict):
            declared["default"] = values[name]
        else:
            params[name] = values[name]
    return doc


def _comment(text: str) -> str:
    """User text on a YAML comment line: a line break would end the comment, so control
    characters are shown escaped."""
    from costcalc.render.controls import visible

    return visible(str(text))


def _plain(value: Any) -> Any:
    """Located YAML values as plain dicts and lists (numbers stay exact)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _decimal(value) -> str | None:
    """The exact decimal text of a rational whose denominator is 2^a 5^b, else None."""
    from fractions import Fraction

    value = Fraction(value)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return None
    places = max(twos, fives, 1)
    digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    return ("-" if value < 0 else "") + digits[:-places] + "." + digits[-places:]


def _json_number(value: Any) -> Any:
    """A non-integer exact number in JSON: a float when it reads back as the same number,
    otherwise its text (``"1/3"``), which a spec reads as a constant expression."""
    from fractions import Fraction

    if isinstance(value, Fraction):
        if Fraction(repr(float(value))) == value:
            return float(value)
        return _decimal(value) or str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def spec_yaml(document: dict[str, Any]) -> str:
    """A spec document as YAML text that reads back to the same values, exact numbers included."""
    from fractions import Fraction

    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def fraction(dumper: yaml.SafeDumper, value: Fraction) -> yaml.Node:
        if value.denominator == 1:
            return dumper.represent_int(value.numerator)
        text = _decimal(value)
        if text is None:  # 1/3: a constant expression, quoted so YAML keeps it as text
            return dumper.represent_str(str(value))
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(Fraction, fraction)
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, default_flow_style=None,
                     width=110, allow_unicode=False)
