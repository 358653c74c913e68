"""The sweep's fast path: traced ints keep exact values, record guards in their own tracer and
refuse, by name, what they cannot follow."""
from __future__ import annotations

from fractions import Fraction

import pytest

from costcalc.costing.grid import PARAMETER_USE, input_only_parameters
from costcalc.costing.tracing import Tracer, TraceUnsupported, compiled, evaluate
from costcalc.spec.document import parse


def traced(height=7, width=7):
    tracer = Tracer()
    tracer.begin()
    return tracer, *tracer.input(height, width)


@pytest.mark.parametrize("formula, at", [
    (lambda h: 3 * h + 1, 11),
    (lambda h: (h + 1) // 2 * 5, 13),
    (lambda h: h * h - 2 * h, 9),
    (lambda h: -(-h // 2), 15),
])
def test_polynomials_give_the_value_at_another_size(formula, at):
    tracer, h, _ = traced()
    value = formula(h)
    assert int.__int__(value) == formula(7)
    assert evaluate(compiled(value), tracer.values(at, at)) == formula(at)
    assert tracer.end() == set()


@pytest.mark.parametrize("operation", [
    lambda h: h / 2,
    lambda h: int(h),
    lambda h: Fraction(h) + 1,
    lambda h: h ** 20,
    lambda h: h & 3,
])
def test_untraceable_operations_raise_trace_unsupported(operation):
    tracer, h, _ = traced()
    operation(h)
    with pytest.raises(TraceUnsupported):
        tracer.end()


def test_comparisons_are_guards_of_their_own_tracer():
    first, h1, _ = traced(7)
    second, h2, _ = traced(9)
    assert (h1 > 5, h2 < 3) == (True, False)
    assert len(first.end()) == 1 and len(second.end()) == 1
    assert first.check(frozenset(first.guards), first.values(6, 6), (6, 6))
    assert not first.check(frozenset(first.guards), first.values(5, 5), (5, 5))


def test_parameter_use_is_cached_per_spec_not_on_it():
    spec = parse("parameters: {resolution: 224}\ninput: [3, resolution, resolution]\n"
                 "layers:\n  - {kind: conv, out: 8, stride: 2}\n", "s.yaml")
    assert input_only_parameters(spec) == {"resolution"}
    assert "_grid_parameter_use" not in vars(spec)
    assert PARAMETER_USE.get(spec) is PARAMETER_USE.get(spec)
