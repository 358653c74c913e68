"""The expression language: exact values, the rounding functions, and their ideal (symbolic) forms."""
from __future__ import annotations

from fractions import Fraction

import pytest

from costcalc.spec.expr import ExprError, compile_expression


@pytest.mark.parametrize("text, env, value", [
    ("0.35 * 96", {}, Fraction(168, 5)),               # decimals are exact rationals
    ("make_divisible(96 * 0.35, 8)", {}, 32),          # architectures.md section 2 table
    ("make_divisible(32 * 0.35, 8)", {}, 16),
    ("make_divisible(16 * 0.35, 8)", {}, 8),
    ("make_divisible(72 / 4, 8)", {}, 24),
    ("make_divisible(1280 * max(1, alpha), 8)", {"alpha": Fraction(13, 10)}, 1664),
    ("max(int(64 * alpha), 8)", {"alpha": Fraction(1, 4)}, 16),
    ("round(2.5) + round(3.5)", {}, 6),                  # round half to even, like Python
    ("7 // 2 + 7 % 2", {}, 4),
    ("2 ** 10", {}, 1024),
    ("'round' if flavor == 'torchvision' else 'make_divisible'", {"flavor": "tf"},
     "make_divisible"),
])
def test_exact_values(text, env, value):
    assert compile_expression(text).evaluate(env) == value


@pytest.mark.parametrize("text", [
    "make_divisible(c * alpha, 8)", "round(c * alpha)", "int(c * alpha)", "floor(c * alpha)",
    "ceil(c * alpha)",
])
def test_rounding_is_the_identity_on_symbols(text):
    sympy = pytest.importorskip("sympy")
    alpha = sympy.Symbol("alpha", positive=True)
    assert compile_expression(text).evaluate({"c": 32, "alpha": alpha}) == 32 * alpha


@pytest.mark.parametrize("text", ["alpha == 0.5", "alpha != 1", "alpha < 1",
                                  "8 if alpha > 1 else 16"])
def test_comparisons_on_symbols_are_refused(text):
    sympy = pytest.importorskip("sympy")
    with pytest.raises(ExprError, match="depends on a symbolic parameter"):
        compile_expression(text).evaluate({"alpha": sympy.Symbol("alpha", positive=True)})
