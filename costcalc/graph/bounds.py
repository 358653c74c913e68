"""Bounds on symbolic work: a closed form's expanded size and degree, measured before expanding.

``formula`` and ``solve`` expand every count into a polynomial in alpha, rho and t. Expanding a
product of sums costs the product of their term counts, and nested sharing makes an expression
tree exponentially larger than the values it was built from; both are measured here without
expanding (one memoised walk over the shared structure), so an input that would take minutes or
gigabytes is refused first. Only polynomials (with ``Max``/``Min``, resolved at the point) have a
closed form here; anything else is reported by what it contains.

No sympy import: expressions are inspected through their ``is_*`` flags and ``args``.
"""
from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any

MAX_TERMS = 20_000   # terms an expansion may multiply out (product of the factors' term counts)
MAX_DEGREE = 24      # total degree in alpha, rho and t (the zoo's counts have degree 5 or less)
MAX_SIZE = 200_000   # nodes of the expression tree, with shared parts counted each time used
MAX_DEPTH = 60       # levels of the tree: sympy walks it recursively, several frames a level


class NotPolynomial(ValueError):
    """A symbolic value outside the closed forms (division by a symbol, a symbolic exponent...)."""


class Measure(namedtuple("Measure", "terms degree size work symbols depth",
                          defaults=(frozenset(), 1))):
    """Upper bounds for one expression, from its parts, without expanding it.

    ``terms``: monomials of its expansion; ``degree``: total degree; ``size``: expression-tree
    nodes, shared parts counted each time used; ``work``: the largest product of term counts one
    expansion step multiplies; ``symbols``; ``depth``: levels of the tree.
    """

    __slots__ = ()


NUMBER = Measure(1, 0, 1, 1)


def measure(value: Any, memo: dict | None = None) -> Measure:
    """Bounds for ``value``; numbers and non-sympy values measure NUMBER.

    Raises NotPolynomial for a value that is not a polynomial in its symbols (Max/Min apart).
    """
    if not hasattr(value, "args") or getattr(value, "is_Number", False):
        return NUMBER
    memo = {} if memo is None else memo
    stack = [value]
    while stack:  # post-order without recursion: deep expressions cannot exhaust the stack
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        pending = [a for a in node.args if a not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        memo[node] = _combine(node, [memo[a] for a in node.args])
    return memo[value]


def _cap(n: int) -> int:
    return min(n, 10 * MAX_SIZE * MAX_TERMS)  # enough to compare with every limit


def _monomials(degree: int, symbols: int) -> int:
    """Monomials of total degree <= ``degree`` in ``symbols`` symbols: C(degree + s, s)."""
    return _multinomials(degree, symbols + 1) if symbols else 1


def _combine(node: Any, parts: list[Measure]) -> Measure:
    if node.is_Symbol:
        return Measure(1, 1, 1, 1, frozenset((node,)))
    if node.is_Atom:
        return NUMBER
    size = _cap(1 + sum(p.size for p in parts))
    depth = 1 + max(p.depth for p in parts)
    work = max(p.work for p in parts)
    symbols = frozenset().union(*(p.symbols for p in parts))
    name = type(node).__name__
    if node.is_Add or name in ("Max", "Min"):  # Max/Min: one argument is chosen at the point
        terms = sum(p.terms for p in parts) if node.is_Add else max(p.terms for p in parts)
        degree = max(p.degree for p in parts)
    elif node.is_Mul:
        terms = 1
        for p in parts:
            terms = _cap(terms * p.terms)
        degree = sum(p.degree for p in parts)
        work = max(work, terms)
    elif node.is_Pow:
        base, exponent = node.args
        if parts[1].degree:
            raise NotPolynomial(f"an exponent that depends on {_names(exponent)}")
        if not parts[0].degree:
            return Measure(1, 0, size, work, symbols, depth)
        if not getattr(exponent, "is_Integer", False):
            raise NotPolynomial(f"a power {exponent} of an expression in {_names(base)}, not a "
                                "whole number")
        if exponent < 0:
            raise NotPolynomial(f"a division by an expression in {_names(base)}")
        n = int(exponent)
        # a sum of k terms to the n-th power has at most C(n + k - 1, k - 1) monomials
        terms = _multinomials(n, parts[0].terms)
        degree = parts[0].degree * n
        work = max(work, _cap(terms * parts[0].terms))
    else:
        raise NotPolynomial(f"{name}() of an expression in {_names(node)}")
    # like monomials combine: never more than there are monomials of that degree
    terms = min(terms, _monomials(degree, len(symbols)))
    return Measure(_cap(terms), degree, size, work, symbols, depth)


def _multinomials(n: int, k: int) -> int:
    """C(n + k - 1, k - 1), stopping as soon as it passes the cap."""
    if k <= 1:
        return 1
    m = min(n, k - 1)
    result, limit = 1, _cap(10**30)
    for j in range(1, m + 1):
        result = result * (n + k - 1 - m + j) // j
        if result > limit:
            return limit
    return result


def _names(value: Any) -> str:
    names = sorted(s.name for s in getattr(value, "free_symbols", ()))
    return ", ".join(names) or "a symbol"


_SHARED: dict = {}  # measures of the values of the builds so far (they share subexpressions)


def problem(value: Any) -> str | None:
    """Why ``value`` has no closed form within the limits, or None when it has one."""
    if not hasattr(value, "args") or getattr(value, "is_Number", False):
        return None
    if len(_SHARED) > 1_000_000:
        _SHARED.clear()
    try:
        terms, degree, size, work, _, depth = measure(value, _SHARED)
    except NotPolynomial as exc:
        return (f"no closed form: {exc} (formula and solve need polynomials in alpha, rho "
                "and t)")
    if max(terms, work) > MAX_TERMS:
        return (f"the closed form would expand to more than {MAX_TERMS} terms (limit "
                "costcalc.graph.bounds.MAX_TERMS)")
    if degree > MAX_DEGREE:
        return (f"the closed form has degree {degree}, more than {MAX_DEGREE} (limit "
                "costcalc.graph.bounds.MAX_DEGREE)")
    if depth > MAX_DEPTH:
        return (f"the closed form is nested {depth} levels deep, more than {MAX_DEPTH} (limit "
                "costcalc.graph.bounds.MAX_DEPTH)")
    if size > MAX_SIZE:
        return (f"the closed form has more than {MAX_SIZE} parts (limit "
                "costcalc.graph.bounds.MAX_SIZE)")
    return None
