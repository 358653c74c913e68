"""sqrt, log and exp in spec expressions: exact where exact, irrational values decided exactly
by floor/ceil/round/int, refused everywhere else (never a float)."""
from __future__ import annotations

import pytest

from costcalc.spec import expr


def evaluate(text: str, **env):
    return expr.compile_expression(text).evaluate(env)


VALUES = [
    ("sqrt(16)", 4), ("sqrt(9 / 4)", expr.Fraction(3, 2)), ("sqrt(0)", 0),
    ("log(8, 2)", 3), ("log(1 / 8, 2)", -3), ("log(1)", 0), ("log(1000, 10)", 3),
    ("exp(0)", 1),
    ("floor(sqrt(2) * 1000)", 1414), ("ceil(sqrt(2))", 2), ("int(-sqrt(2))", -1),
    ("floor(log(10))", 2), ("round(exp(1) * 100)", 272), ("floor(exp(-1) * 10 ** 6)", 367879),
    ("ceil(exp(1000) / exp(999))", 3),  # e, through two 400-digit values
    ("floor(log(10 ** 60, 10) + sqrt(2))", 61),
    # RegNet's quantised widths: w_j = w_0 * w_m ** round(log(u_j / w_0, w_m))
    ("round(log(27.89 * 3 / 48 + 1, 2.09))", 1), ("round(log(27.89 * 10 / 48 + 1, 2.09))", 3),
    ("round(log(100, 2.52))", 5),  # log_2.52(100) = 4.9826
    ("round(sqrt(2) * sqrt(8))", 4),  # 4 exactly, but round needs only to exclude 3.5 and 4.5
]


@pytest.mark.parametrize("text, value", VALUES)
def test_exact_values(text, value):
    result = evaluate(text)
    assert type(result) in (int, expr.Fraction) and result == value


@pytest.mark.parametrize("text, message", [
    ("sqrt(2) > 1", "comparison with an irrational value"),
    ("sqrt(2) ** 2", "with an irrational value"),
    ("sqrt(2) // 1", "with an irrational value"),
    ("min(sqrt(2), 3)", "min\\(\\) of an irrational value"),
    ("make_divisible(sqrt(8))", "irrational"),
    ("round(sqrt(2), 2)", "takes no digits"),
    ("floor(sqrt(2) * sqrt(2))", "cannot be decided"),  # exactly 2: undecidable from intervals
    ("floor(1 / (sqrt(2) - sqrt(2)))", "too close to zero"),
    ("log(0)", "not positive"), ("log(-1)", "not positive"), ("log(2, 1)", "base"),
    ("sqrt(-4)", "negative"), ("exp(5000)", "beyond"), ("sqrt(sqrt(2))", "round it first"),
    ("sqrt(2) if sqrt(2) else 1", "condition on an irrational value"),
    ("sqrt(2) / 0", "division by zero"),
])
def test_refusals(text, message):
    with pytest.raises(expr.ExprError, match=message):
        evaluate(text)


def test_exp_stays_a_free_name_for_parameters():
    assert evaluate("exp * 2 + round(exp(1))", exp=5) == 13


def test_a_field_given_an_irrational_value_is_a_located_error():
    from costcalc.errors import SpecError
    from costcalc.spec.document import parse

    text = "name: t\ninput: [16, 8, 8]\nlayers:\n  - {kind: pwconv, out: \"sqrt(8)\"}\n"
    with pytest.raises(SpecError, match="irrational \\(sqrt\\(8\\)\\): round it") as info:
        parse(text, "t.yaml").build()
    assert info.value.line == 4


def test_a_rounded_irrational_width_builds():
    from costcalc.spec.document import parse

    text = ("name: t\ninput: [16, 8, 8]\nlet:\n  w: \"8 * round(2.09 ** round(log(5, 2.09)))\"\n"
            "layers:\n  - {kind: pwconv, out: w}\n")
    graph = parse(text, "t.yaml").build()
    assert graph.nodes[-1].shape.c == 8 * 4  # 2.09^2 = 4.3681 -> 4


def test_symbolic_arguments_give_sympy_functions():
    import sympy

    alpha = sympy.Symbol("alpha", positive=True)
    assert evaluate("sqrt(alpha)", alpha=alpha) == sympy.sqrt(alpha)
    assert evaluate("log(alpha)", alpha=alpha) == sympy.log(alpha)
