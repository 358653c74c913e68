"""Every number-to-text and number-to-JSON rule lives in costcalc.numbers: one table per rule."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy

from costcalc import numbers


@pytest.mark.parametrize("value, text", [
    (Fraction(3, 4), "0.75"), (Fraction(7, 3), "7/3"), (224, "224"),
    (sympy.Rational(3, 4), "0.75"), (sympy.Integer(5), "5"), (sympy.Symbol("alpha"), "alpha"),
])
def test_exact_text(value, text):
    assert numbers.exact_text(value) == text


@pytest.mark.parametrize("value, text", [
    (True, "true"), (False, "false"), (Fraction(1, 2), "0.5"), (7, "7"), ("tf", "tf"),
    (Fraction(1, 3), "1/3"),
])
def test_param_text(value, text):
    assert numbers.param_text(value) == text


@pytest.mark.parametrize("value, spec, text", [
    (300774272, ".2f", "300.77M"), (999, ".2f", "999"), (1000, ".2f", "1.00K"),
    (-2_500_000, ".2f", "-2.50M"), (3 * 10**12, ".2f", "3.00T"),
    (300774272.0, ".4g", "300.8M"), (12.5, ".4g", "12.5"), (999, ".4g", "999"),
])
def test_human(value, spec, text):
    assert numbers.human(value, spec) == text


@pytest.mark.parametrize("count, text", [
    (300_000_000, "300M"), (300_774_272, "300774.272K"), (1500, "1.5K"), (999, "999"),
    (2 * 10**12, "2T"),
])
def test_exact_human(count, text):
    assert numbers.exact_human(count) == text


@pytest.mark.parametrize("value, digits, text", [
    (Fraction(7, 20), 6, "0.35"), (Fraction(1, 3), 6, "0.333333"), (Fraction(1, 3), 10, "0.3333333333"),
    (5, 6, "5"),
])
def test_near_text(value, digits, text):
    assert numbers.near_text(value, digits) == text


@pytest.mark.parametrize("value, digits, text", [
    (Fraction(3, 4), 10, "0.75"), (Fraction(7, 3), 10, "7/3"), (Fraction(10**7, 1), 6, "10000000"),
    (Fraction(1, 3), 6, "1/3"), (224, 6, "224"),
])
def test_short_text(value, digits, text):
    assert numbers.short_text(value, digits) == text


@pytest.mark.parametrize("value, digits, exact", [
    (0.0, 4, Fraction(0)), (0.123456, 4, Fraction(1235, 10000)), (12345.6, 4, Fraction(12350)),
])
def test_rounded(value, digits, exact):
    assert numbers.rounded(value, digits) == exact


@pytest.mark.parametrize("value, shown", [
    (Fraction(7, 3), "7/3"), (Fraction(6, 2), 3), (4, 4), (Fraction(-1, 2), "-1/2"),
])
def test_json_rational_reads_back(value, shown):
    assert numbers.json_rational(value) == shown
    assert sympy.Rational(str(shown)) == value


@pytest.mark.parametrize("value, shown", [
    ({"a": [Fraction(1, 2), Fraction(1, 3)], "b": (1, None, True)}, '{"a": [0.5, "1/3"], "b": [1, null, true]}'),
    (Fraction("0.499999999999999999"), '"0.499999999999999999"'),
    (object, json.dumps(str(object))),
])
def test_json_tree(value, shown):
    assert json.dumps(numbers.json_tree(value)) == shown


@pytest.mark.parametrize("value, text", [
    (12.3456, "12.35%"), (Fraction(1, 3), "0.33%"),
])
def test_percent(value, text):
    assert numbers.percent(value) == text


def test_callers_use_the_shared_rules():
    """The modules that format numbers take their rule from costcalc.numbers (no local copies)."""
    from costcalc.costing import variants
    from costcalc.render import cells, records
    from costcalc.symbolic import derive

    assert cells.human is numbers.human
    assert records._json_value is numbers.json_tree
    assert variants.shown is numbers.param_text
    assert derive.number_text is numbers.exact_text
