"""The sweep's fast path: traced ints keep exact values, record guards in their own tracer and
refuse, by name, what they cannot follow."""
from __future__ import annotations

import math
from fractions import Fraction

import pytest

from costcalc.costing.grid import PARAMETER_USE, input_only_parameters
from costcalc import numbers
from costcalc.costing.tracing import (SPATIAL, Structure, Tracer, TraceUnsupported, compile_poly,
                                      total_poly)
from costcalc.spec.document import parse


def traced(height=7, width=7, **parameters):
    tracer = Tracer(tuple(parameters))
    tracer.begin()
    values = {name: tracer.parameter(name, value) for name, value in parameters.items()}
    return tracer, *tracer.input(height, width), values


def at(tracer, value, height, **parameters):
    """``value`` at another input side and parameter values: None when a guard differs."""
    guards = tracer.end()
    structure = Structure(tracer, guards, {"value": total_poly(value)}, 3, True, tracer.sizes)
    found = structure.totals(tracer, tuple(parameters.values()), (height, height))
    return None if found is None else found[0]


@pytest.mark.parametrize("formula, side", [
    (lambda h: 3 * h + 1, 11),
    (lambda h: (h + 1) // 2 * 5, 13),
    (lambda h: h * h - 2 * h, 9),
    (lambda h: -(-h // 2), 15),
    (lambda h: 100 // h + 64 % h, 5),
    (lambda h: math.floor(h / 3) + math.ceil(h * Fraction(2, 7)), 40),
])
def test_polynomials_give_the_value_at_another_size(formula, side):
    tracer, h, _, _ = traced()
    value = formula(h)
    assert int.__int__(value) == formula(7)
    assert compile_poly(total_poly(value))(tracer.values(SPATIAL, (side, side))) == formula(side)
    assert tracer.end() == set()


@pytest.mark.parametrize("formula", [
    lambda a, c: numbers.make_divisible(c * a, 8) * 9,
    lambda a, c: numbers.make_divisible(numbers.make_divisible(16 * a, 8) * 6 * Fraction(1, 4), 8),
    lambda a, c: round(c * a) + math.floor(a * 10) * math.ceil(a / 3),
    lambda a, c: numbers.make_divisible(1280 * max(1, a), 8),
    lambda a, c: c * 2 if a > Fraction(1, 2) else c + 1,
    lambda a, c: numbers.normalize(a * 4) * c if numbers.normalize(a * 4) == 2 else c,
])
@pytest.mark.parametrize("alpha", [Fraction(1, 2), Fraction(7, 20), Fraction(13, 10)])
def test_rational_parameters_give_the_value_at_another_setting_or_refuse(formula, alpha):
    probe = Fraction(3, 4)
    tracer, _, _, values = traced(alpha=probe, c=96)
    value = formula(values["alpha"], values["c"])
    assert int.__int__(value) == formula(probe, 96)
    found = at(tracer, value, 7, alpha=alpha, c=40)
    assert found in (None, formula(alpha, 40))
    if not tracer.guards:
        assert found == formula(alpha, 40)


@pytest.mark.parametrize("operation", [
    lambda h: 2 / h,
    lambda h: int(h),
    lambda h: Fraction(h) + 1,
    lambda h: h ** 20,
    lambda h: h & 3,
    lambda h: int(h / 3),
    lambda h: float(h * Fraction(1, 3)),
    lambda h: Fraction(h / 2),
    lambda h: (h / 2).numerator,
    lambda h: h / 3 * 0.5,
])
def test_untraceable_operations_raise_trace_unsupported(operation):
    tracer, h, _, _ = traced()
    operation(h)
    with pytest.raises(TraceUnsupported):
        tracer.end()


def test_comparisons_are_guards_of_their_own_tracer():
    first, h1, _, _ = traced(7)
    second, h2, _, _ = traced(9)
    assert (h1 > 5, h2 < 3) == (True, False)
    assert len(first.guards) == 1 and len(second.guards) == 1
    assert at(first, h1 * 2, 6) == 12
    assert at(first, h1 * 2, 5) is None


def test_asking_whether_a_traced_rational_is_whole_is_a_guard():
    tracer, h, _, _ = traced(8)
    half = numbers.normalize(h / 2)  # an int here, a Fraction at odd sides
    assert type(half) is not Fraction and int.__int__(half) == 4
    assert at(tracer, half * 2, 10) == 10
    assert at(tracer, half * 2, 9) is None


def test_parameter_use_is_cached_per_spec_not_on_it():
    spec = parse("parameters: {resolution: 224}\ninput: [3, resolution, resolution]\n"
                 "layers:\n  - {kind: conv, out: 8, stride: 2}\n", "s.yaml")
    assert input_only_parameters(spec) == {"resolution"}
    assert "_grid_parameter_use" not in vars(spec)
    assert PARAMETER_USE.get(spec) is PARAMETER_USE.get(spec)
