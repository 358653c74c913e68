"""Safe arithmetic expressions in spec fields: parsed with ``ast``, checked against a whitelist, never eval'ed.

Grammar (a subset of Python expression syntax)::

    expr  := number | 'string' | name | true | false
           | expr (+ - * / // % **) expr | -expr | +expr | (expr)
           | function(expr, ...)            # make_divisible round floor ceil min max int
           | expr if cond else expr         # conditional
    cond  := expr (== != < <= > >=) expr | cond and cond | cond or cond | not cond

Numbers are exact: ``0.35`` is the rational 35/100, ``/`` gives a rational, and nothing on the
numeric path is ever a float. The same functions accept sympy expressions: there every rounding
function (``make_divisible``, ``round``, ``floor``, ``ceil``, ``int``) is the identity, which is what
the closed forms in ``alpha``/``rho``/``t`` mean by *ideal* channel counts.
"""
from __future__ import annotations

import ast
import math
import re
from collections import ChainMap
from fractions import Fraction
from functools import lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing stays off the main report's start-up
    from typing import Any, Callable, Mapping
    Evaluator = Callable[[Mapping[str, Any]], Any]  # a compiled expression: scope -> value

from costcalc import numbers
from costcalc.errors import close_matches
from costcalc.numbers import is_exact, normalize, show_value
from costcalc.spec import reals
from costcalc.spec.reals import Real

MAX_LENGTH = 1000
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_MAGNITUDE_BITS = numbers.MAX_BITS
_SURROGATE = re.compile("[\ud800-\udfff]")


class ExprError(ValueError):
    """A problem inside one expression; ``column`` is 0-based within the expression text."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


def _minmax(name: str, builtin: Callable) -> Callable:
    def choose(*values):
        if not values:
            raise ExprError(f"{name}() needs at least one argument")
        _rational(name, *values)
        if numbers.is_symbolic(*values):
            import sympy

            return getattr(sympy, name.capitalize())(*values)
        return builtin(values)

    return choose


def _rational(name: str, *values: Any) -> None:
    if any(isinstance(v, Real) for v in values):
        raise ExprError(f"{name}() of an irrational value; round it first with round(), floor() "
                        "or ceil()")


def _rounding(name: str, rule: Callable, function: Callable) -> Callable:
    """floor/ceil/int on an exact number, a sympy expression or a Real (decided exactly)."""
    def apply(value):
        if isinstance(value, Real):
            return value.decide(rule, name)
        return function(value)
    return apply


def _make_divisible(value, *rest):
    _rational("make_divisible", value, *rest)
    return numbers.make_divisible(value, *rest)


def _irrational(name: str, exact_function: Callable) -> Callable:
    """sqrt/log/exp: exact or a Real on numbers (costcalc.spec.reals), sympy on symbols."""
    def apply(*values):
        if any(numbers.is_symbolic(v) and not isinstance(v, Real) for v in values):
            import sympy

            return getattr(sympy, name)(*values)
        return exact_function(*values)
    return apply


def _round(value, ndigits=None):
    if isinstance(value, Real):
        if ndigits is not None:
            raise ExprError("round() of an irrational value takes no digits")
        return value.decide(round, "round")
    if ndigits is not None and not numbers.is_symbolic(value):
        if type(ndigits) is not int:
            raise ExprError("round(): the number of digits must be a whole number")
        if abs(ndigits) > numbers.MAX_SHIFT:  # round() computes 10**ndigits
            raise ExprError(f"round(): more than {numbers.MAX_SHIFT} digits")
    return numbers.round_value(value, ndigits)


FUNCTIONS: dict[str, Callable] = {
    "make_divisible": _make_divisible,
    "round": _round,
    "floor": _rounding("floor", math.floor, numbers.floor),
    "ceil": _rounding("ceil", math.ceil, numbers.ceil),
    "int": _rounding("int", math.trunc, numbers.trunc),
    "sqrt": _irrational("sqrt", reals.sqrt),
    "log": _irrational("log", reals.log),
    "exp": _irrational("exp", reals.exp),
    "min": _minmax("min", min),
    "max": _minmax("max", max),
}

# Functions whose names stay free for parameters and block parameters (MobileNet's ``exp``
# channels predate the function): a call always means the function, a bare name the value.
UNRESERVED = frozenset({"sqrt", "log", "exp"})

_BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**",
}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0)


class Expression:
    """A checked expression: ``names`` it reads, ``evaluate(env)`` computes it."""

    __slots__ = ("text", "tree", "names", "compute")

    def __init__(self, text: str, tree: ast.AST, names: frozenset[str]):
        self.text = text
        self.tree = tree
        self.names = names
        self.compute = _compile(tree)

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        return normalize(self.compute(env))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Parse and check ``text``; raise ExprError for anything outside the grammar."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    if text.count("(") > MAX_DEPTH:
        raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels")
    surrogate = _SURROGATE.search(text)  # from undecodable command-line bytes; ast cannot read it
    if surrogate:
        raise ExprError(f"\\u{ord(surrogate.group()):04x} in expression {text!r} is not a "
                        "character", surrogate.start())
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        col = lead + exc.offset - 1 if exc.offset else len(text.rstrip())
        if exc.lineno and exc.lineno > 1 or col > len(text):
            col = len(text)
        detail = f": {exc.msg}" if exc.msg and exc.msg != "invalid syntax" else ""
        raise ExprError(f"syntax error in expression {text!r}{detail}", col) from None
    names: set[str] = set()
    try:
        _check(tree, names, 0)
    except ExprError as exc:
        exc.column += lead
        raise
    _exact_literals(tree, text.strip(), lead)
    if lead:
        for node in ast.walk(tree):
            if hasattr(node, "col_offset"):
                node.col_offset += lead
    return Expression(text, tree, frozenset(names))


def _exact_literals(tree: ast.AST, source: str, lead: int) -> None:
    """Replace every number constant by the exact value of its text (Python made it a float)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            literal = ast.get_source_segment(source, node) or ""
            try:
                node.value = numbers.parse(literal)
            except numbers.LiteralError as exc:
                raise ExprError(str(exc), lead + node.col_offset) from None


def _check(node: ast.AST, names: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", _col(node))
    deeper = depth + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str)):
            return
        raise ExprError(f"{node.value!r} is not allowed in an expression", _col(node))
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExprError(f"name {node.id!r} is not allowed", _col(node))
        if node.id not in ("true", "false"):
            names.add(node.id)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, names, deeper)
        _check(node.right, names, deeper)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub, ast.Not)):
        _check(node.operand, names, deeper)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, names, deeper)
        return
    if isinstance(node, ast.Compare) and all(type(op) in _CMPOPS for op in node.ops):
        _check(node.left, names, deeper)
        for comparator in node.comparators:
            _check(comparator, names, deeper)
        return
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            _check(part, names, deeper)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _check(node.func, set(), deeper)  # names the forbidden construct (attribute, lambda)
            raise ExprError(f"only the functions {', '.join(FUNCTIONS)} can be called",
                            _col(node))
        if node.func.id.startswith("_"):
            raise ExprError(f"name {node.func.id!r} is not allowed", _col(node))
        if node.func.id not in FUNCTIONS:
            close = close_matches(node.func.id, list(FUNCTIONS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ExprError(f"unknown function {node.func.id!r}{hint}; allowed: "
                            f"{', '.join(FUNCTIONS)}", _col(node))
        if node.keywords:
            raise ExprError("keyword arguments are not allowed", _col(node.keywords[0]))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExprError("* arguments are not allowed", _col(arg))
            _check(arg, names, deeper)
        return
    what = {
        ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
        ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
        ast.ListComp: "comprehensions", ast.GeneratorExp: "comprehensions",
        ast.NamedExpr: "assignments", ast.JoinedStr: "f-strings",
    }.get(type(node), type(node).__name__)
    raise ExprError(f"{what} not allowed in an expression", _col(node))


def _number(value: Any, node: ast.AST) -> Any:
    if type(value) is int or type(value) is Fraction:  # the common case
        return value
    if isinstance(value, (bool, str)):
        raise ExprError(f"expected a number, got {show_value(value)}", _col(node))
    if value is None or isinstance(value, (list, tuple, dict, set)):
        raise ExprError("expected a number", _col(node))
    return value


def _truth(value: Any, node: ast.AST) -> bool:
    if isinstance(value, bool):
        return value
    if is_exact(value):
        return value != 0
    if isinstance(value, str):
        return bool(value)
    if isinstance(value, Real):
        raise ExprError("a condition on an irrational value; round it first", _col(node))
    raise ExprError("this condition depends on a symbolic parameter", _col(node))


def _compile(node: ast.AST) -> Evaluator:
    """A closure computing a checked tree: the tree is walked once, here, not per evaluation.

    Each closure does what an evaluation of its node does (the same checks, the same errors at
    the same columns), in the same order, and reads names through ``_lookup``."""
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda env: value
    if isinstance(node, ast.Name):
        return _lookup(node)
    if isinstance(node, ast.BinOp):
        left, right, op = _compile(node.left), _compile(node.right), type(node.op)
        lnode, rnode = node.left, node.right
        return lambda env: _binop(op, _number(left(env), lnode), _number(right(env), rnode), node)
    if isinstance(node, ast.UnaryOp):
        operand, onode = _compile(node.operand), node.operand
        if isinstance(node.op, ast.Not):
            return lambda env: not _truth(operand(env), onode)
        if isinstance(node.op, ast.USub):
            return lambda env: -_number(operand(env), onode)
        return lambda env: _number(operand(env), onode)
    if isinstance(node, ast.BoolOp):
        return _bool_op(isinstance(node.op, ast.And), [(_compile(v), v) for v in node.values])
    if isinstance(node, ast.Compare):
        return _comparison(_compile(node.left), [(type(op), _compile(c), c) for op, c in
                                                 zip(node.ops, node.comparators)])
    if isinstance(node, ast.IfExp):
        test, body, orelse, tnode = (_compile(node.test), _compile(node.body),
                                     _compile(node.orelse), node.test)
        return lambda env: body(env) if _truth(test(env), tnode) else orelse(env)
    if isinstance(node, ast.Call):
        return _call(node, [(_compile(arg), arg) for arg in node.args])
    raise ExprError("unsupported expression", _col(node))  # unreachable after _check


def _lookup(node: ast.Name) -> Evaluator:
    name = node.id

    def lookup(env: Mapping[str, Any]) -> Any:
        # a walker's scope is a ChainMap of a few dicts: read them directly (its own
        # __contains__ and __getitem__ cost several Python calls per name)
        for layer in (env.maps if type(env) is ChainMap else (env,)):
            if name in layer:
                return layer[name]
        if name == "true":
            return True
        if name == "false":
            return False
        close = close_matches(name, list(env), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(sorted(k for k in env if not k.startswith("_")))
        raise ExprError(f"unknown name {name!r}{hint}; known names: {known}", _col(node))
    return lookup


def _bool_op(is_and: bool, values: list[tuple[Evaluator, ast.AST]]) -> Evaluator:
    def bool_op(env: Mapping[str, Any]) -> bool:
        for value, value_node in values:
            truth = _truth(value(env), value_node)
            if is_and and not truth:
                return False
            if not is_and and truth:
                return True
        return is_and
    return bool_op


def _comparison(first: Evaluator, rest: list[tuple[type, Evaluator, ast.AST]]) -> Evaluator:
    def comparison(env: Mapping[str, Any]) -> bool:
        left = first(env)
        for op, comparator, comp_node in rest:
            right = comparator(env)
            if not _compare(op, left, right, comp_node):
                return False
            left = right
        return True
    return comparison


def _call(node: ast.Call, args: list[tuple[Evaluator, ast.AST]]) -> Evaluator:
    function, name = FUNCTIONS[node.func.id], node.func.id

    def call(env: Mapping[str, Any]) -> Any:
        values = [_number(arg(env), arg_node) for arg, arg_node in args]
        try:
            return _bounded(function(*values), node)
        except ExprError as exc:
            exc.column = _col(node)
            raise
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise ExprError(f"{name}(): {exc}", _col(node)) from None
    return call


def _binop(op: type, left: Any, right: Any, node: ast.AST) -> Any:
    if isinstance(left, Real) or isinstance(right, Real):
        return _real_binop(op, left, right, node)
    exact = is_exact(left) and is_exact(right)
    if op in (ast.Div, ast.FloorDiv, ast.Mod) and is_exact(right) and right == 0:
        raise ExprError("division by zero", _col(node))
    if op is ast.Add:
        result = left + right
    elif op is ast.Sub:
        result = left - right
    elif op is ast.Mult:
        result = left * right
    elif op is ast.Div:
        # an int becomes a Fraction first; a rational (traced ones too) divides as it is
        result = (Fraction(left) if type(left) is int else left) / right if exact else left / right
    elif op is ast.FloorDiv:
        # Ideal counts take every rounding as the identity: floor(a / b) is a / b there.
        result = left // right if exact or numbers.is_symbolic(right) else left / right
    elif op is ast.Mod:
        result = left % right
    else:
        if exact:
            if isinstance(right, Fraction):
                raise ExprError("exponent must be a whole number", _col(node))
            if abs(right) > MAX_EXPONENT:
                raise ExprError(f"exponent larger than {MAX_EXPONENT}", _col(node))
            if left == 0 and right < 0:
                raise ExprError("division by zero", _col(node))
            result = (Fraction(left) if type(left) is int else left) ** right
        else:
            result = left**right
    if not exact:
        from costcalc.graph.bounds import problem

        reason = problem(result)
        if reason:
            raise ExprError(reason, _col(node))
    return _bounded(result, node)


def _real_binop(op: type, left: Any, right: Any, node: ast.AST) -> Any:
    """+ - * / with an irrational operand (interval arithmetic); anything else is refused."""
    if op not in (ast.Add, ast.Sub, ast.Mult, ast.Div) or \
            any(numbers.is_symbolic(v) and not isinstance(v, Real) for v in (left, right)):
        raise ExprError(f"{_BINOPS[op]} with an irrational value; round it first with round(), "
                        "floor() or ceil()", _col(node))
    if op is ast.Div and is_exact(right) and right == 0:
        raise ExprError("division by zero", _col(node))
    if op is ast.Add:
        return left + right
    if op is ast.Sub:
        return left - right
    return left * right if op is ast.Mult else left / right


def _bounded(value: Any, node: ast.AST) -> Any:
    """``value`` normalised, after checking that numerator and denominator stay in MAX_BITS.

    A traced value (costing.tracing) is normalised once, as the expression's result: whether
    an intermediate rational is whole changes no later step, and asking would be a guard."""
    kind = type(value)
    if kind is Fraction or (kind is not int and not hasattr(value, "rounded")):
        value = normalize(value)
    if is_exact(value) and numbers.too_big(value):
        raise ExprError(f"number too large (numerator or denominator over {numbers.MAX_BITS} "
                        "bits)", _col(node))
    return value


def _decided(op: type, left: Any, right: Any) -> bool | None:
    """``left op right`` for an order (<, <=, >, >=) between sympy expressions of positive
    symbols and numbers, when sympy finds it true or false for every value; else None."""
    import sys

    sympy = sys.modules.get("sympy")  # loaded whenever a value is a sympy expression
    orders = {ast.Lt: "Lt", ast.LtE: "Le", ast.Gt: "Gt", ast.GtE: "Ge"}
    if sympy is None or op not in orders or not all(
            isinstance(v, sympy.Basic) or is_exact(v) for v in (left, right)):
        return None
    relation = getattr(sympy, orders[op])(left, right)
    if relation is sympy.true or relation is sympy.false:
        return bool(relation)
    return None


def _compare(op: type, left: Any, right: Any, node: ast.AST) -> bool:
    if isinstance(left, Real) or isinstance(right, Real):
        raise ExprError("comparison with an irrational value; round it first with round(), "
                        "floor() or ceil()", _col(node))
    if numbers.is_symbolic(left) or numbers.is_symbolic(right):
        # An order that holds for every positive value of the symbols (proposals > 0, the
        # detectors' second stage) is decided; anything else depends on the point. sympy's ==
        # is structural (alpha == 0.5 would be silently false): never decided.
        decided = _decided(op, left, right)
        if decided is None:
            raise ExprError("this comparison depends on a symbolic parameter", _col(node))
        return decided
    if op is ast.Eq:
        return left == right
    if op is ast.NotEq:
        return left != right
    if isinstance(left, str) != isinstance(right, str):
        raise ExprError(f"cannot compare {show_value(left)} with {show_value(right)}", _col(node))
    if not (is_exact(left) or isinstance(left, str)) or not (
        is_exact(right) or isinstance(right, str)
    ):
        raise ExprError("this comparison depends on a symbolic parameter", _col(node))
    if op is ast.Lt:
        return left < right
    if op is ast.LtE:
        return left <= right
    if op is ast.Gt:
        return left > right
    return left >= right
