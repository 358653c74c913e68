"""A spec resolved at given parameters, as plain data that is itself a valid spec (``costcalc show``)."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from costcalc import numbers
from costcalc.spec import expr
from costcalc.spec.models import resolve


class Decimal(str):
    """A decimal a float cannot hold (0.250000000000000000001): a YAML number, JSON text."""


def resolved_document(spec, overrides: dict[str, str]) -> dict[str, Any]:
    """The spec as plain data with defaults replaced and every evaluable expression evaluated."""
    values = resolve(spec, overrides)
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
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return int(value)
        shown = numbers.json_value(value)  # a float only where it reads back as the same value
        if isinstance(shown, str) and "/" not in shown:
            return Decimal(shown)
        return shown
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
    if isinstance(result, (bool, str)) or numbers.is_exact(result):
        return _value(result)
    kept.append(value)
    return value
