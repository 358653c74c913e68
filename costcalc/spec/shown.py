"""A spec printed back as a spec (``costcalc show``): expressions as written, the values given
as the parameters' new defaults, exact numbers that read back as the same numbers."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc import numbers
from costcalc.render.controls import visible


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


def comment(text: str) -> str:
    """User text on a YAML comment line: a line break would end the comment, so control
    characters are shown escaped."""
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
    return numbers.decimal_text(value, 1)


def json_number(value: Any) -> Any:
    """A non-integer exact number in JSON: a float when it reads back as the same number,
    otherwise its text (``"1/3"``), which a spec reads as a constant expression."""
    if isinstance(value, Fraction):
        if Fraction(repr(float(value))) == value:
            return float(value)
        return _decimal(value) or str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def spec_yaml(document: dict[str, Any]) -> str:
    """A spec document as YAML text that reads back to the same values, exact numbers included."""
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
