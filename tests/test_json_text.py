"""The fast indented JSON writer gives json.dumps(json_tree(value), indent=2) byte for byte."""
from __future__ import annotations

import json
from enum import Enum, IntEnum
from fractions import Fraction

import pytest

from costcalc import numbers
from costcalc.api import analyze
from costcalc.costing.report_table import report_table
from costcalc.render import json_text


class Colour(str, Enum):
    red = "red"


class Size(IntEnum):
    big = 3


class Opaque:
    def __str__(self) -> str:
        return "opaque <thing> \u00e9"


VALUES = [
    0, -1, 2**200, True, False, None, 0.5, -0.0, 1e-300, 1e300, float("nan"), float("inf"),
    -float("inf"), "", "plain", "quote \" backslash \\ slash / tab \t nul \0 bell \a",
    "unicode \u00e9 \u4e2d \U0001f600 \ud800", Fraction(1, 3), Fraction(1, 2), Fraction(-7, 4),
    Fraction(4, 2), Colour.red, Size.big, Opaque(), [], {}, (), [[]], [{}], {"a": []},
    [1, 2, 3], (1, 2), [1, True, 2], [1, 2.5], [1, "a", None], [[1, 2], [3, [4, {}]]],
    {"a": 1, "b": [1, 2], "c": {"d": {"e": [Fraction(1, 3), 0.25]}}},
    {1: "int key", 2.5: "float key", True: "bool key", None: "null key", "s": "str key"},
    {"layers": [{"name": "conv\u2028x", "output": [3, 224, 224], "macs": 10,
                 "share": 0.123456789}] * 3, "notes": ["a", "b"], "total": {"macs": 30}},
]


@pytest.mark.parametrize("value", VALUES, ids=[f"v{i}" for i in range(len(VALUES))])
def test_same_text_as_the_standard_library(value):
    assert json_text.dumps(value) == json.dumps(numbers.json_tree(value), indent=2)


def test_a_key_json_cannot_write_is_refused_as_json_refuses_it():
    with pytest.raises(TypeError):
        json.dumps({(1, 2): 1}, indent=2)
    with pytest.raises(TypeError):
        json_text.dumps({(1, 2): 1})


@pytest.mark.parametrize("model, options", [
    ("v2", {"alpha": "0.5", "res": "160"}), ("v3-small", {}), ("resnet50", {}),
    ("efficientnet_b0", {}), ("shufflenet_v2_x1_0", {}), ("convnext_tiny", {})])
def test_same_report_json_as_the_standard_library(model, options):
    from costcalc.cli.overrides import overrides

    result = analyze(model, "fvcore", **overrides(options.get("alpha"), options.get("res"),
                                                     None, None))
    table = report_table(result, depth=2, flops=True, data=True, rows=False)
    assert json_text.dumps(table.data) == json.dumps(numbers.json_tree(table.data), indent=2)
