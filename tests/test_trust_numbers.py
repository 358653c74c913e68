"""Number literals are exact and bounded on every input channel; input is read with bounds.

Classes covered: a literal read through a binary float (CLI option, variant string, --set,
YAML value, expression, library float), a literal or computed value of unbounded size (YAML
scalar, expression intermediate, convention weight), input read without a byte or node bound,
and characters that gave errors without a line:column (NUL, BEL, lone surrogates).
"""
from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path

import pytest

from costcalc import numbers
from costcalc.spec import expr
from costcalc.spec import source
from costcalc.api import analyze, load
from costcalc.costing.conventions import load_profile
from costcalc.errors import SpecError, UsageError
from costcalc.spec.document import parse
from cli_runner import run

# ------------------------------------------------------------------- one literal, every channel

# Literals a binary float changes: each is a different rational from the float it rounds to.
NEAR_FLOATS = ["0.499999999999999999", "0.50000000000000001", "0.7500000000000000001",
               "0.3333333333333333333333", "1.0000000000000000000001"]


def _macs(args: list[str]) -> int:
    return json.loads(run(*args, "--format", "json").stdout)["total"]["macs"]


def _compare_macs(variant: str) -> int:
    return json.loads(run("compare", variant, "--format", "json").stdout)["variants"][0]["macs"]


def _spec_file(tmp_path: Path, default: str) -> str:
    """mobilenet_v1 with its alpha default replaced by ``default`` as a YAML plain scalar."""
    text = Path(load("v1").path).read_text(encoding="utf-8")
    old = "alpha: {default: 1.0,"
    assert text.count(old) == 1
    path = tmp_path / "v1.yaml"
    path.write_text(text.replace(old, f"alpha: {{default: {default},"), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("literal", NEAR_FLOATS)
def test_every_channel_reads_the_same_exact_literal(tmp_path, literal):
    exact = Fraction(literal)
    assert exact != Fraction(float(literal))  # the case is one a float would change
    library = analyze("v1", alpha=exact).total.macs
    rounded = analyze("v1", alpha=Fraction(float(literal))).total.macs
    channels = {
        "--alpha": _macs(["v1", "--alpha", literal]),
        "--set": _macs(["v1", "--set", f"alpha={literal}"]),
        "expression": _macs(["v1", "--alpha", f"({literal}) * 1"]),
        "variant": _compare_macs(f"v1:alpha={literal}"),
        "YAML default": _macs([_spec_file(tmp_path, literal)]),
        "library text": analyze("v1", alpha=literal).total.macs,
    }
    assert channels == {name: library for name in channels}
    if literal == "0.499999999999999999":  # the case of the report: 0.5 gives 149,497,088
        assert library != rounded


def test_the_report_shows_the_literal_it_analysed():
    result = run("v1", "--alpha", "0.499999999999999999")
    assert "alpha=0.499999999999999999" in result.stdout
    data = json.loads(run("v1", "--alpha", "0.499999999999999999", "--format", "json").stdout)
    assert data["parameters"]["alpha"] == "0.499999999999999999"  # a JSON float would be 0.5
    assert json.loads(run("v1", "--alpha", "0.1", "--format", "json").stdout)[
        "parameters"]["alpha"] == 0.1  # a float that reads back as 1/10 stays a JSON number


@pytest.mark.parametrize("args", [
    ["v1", "--format", "markdown"], ["v1", "--format", "latex"], ["v1", "--format", "json"],
    ["compare", "v1:alpha=A", "--format", "csv"], ["compare", "v1:alpha=A", "--format", "json"],
    ["sweep", "v1", "--alpha", "A", "--format", "csv"],
    ["sweep", "v1", "--alpha", "A", "--format", "json"],
    ["formula", "v1"], ["formula", "v1", "--format", "json"], ["conventions", "v1"], ["show", "v1"],
], ids=lambda args: " ".join(args))
def test_every_output_shows_the_parameter_as_written(args):
    literal = "0.499999999999999999"
    args = [literal if a == "A" else a.replace("=A", "=" + literal) for a in args]
    if literal not in " ".join(args):
        args += ["--alpha", literal]
    assert literal in run(*args).stdout


# (arguments, start of the one-line error): a near-float literal is judged as written
BOUND_CASES = [
    (["v1", "--alpha", "8.0000000000000001"],
     "parameter 'alpha' must be at most 8, got 8.0000000000000001"),
    (["v1", "--set", "alpha=8.0000000000000001"],
     "parameter 'alpha' must be at most 8, got 8.0000000000000001"),
    (["compare", "v1:alpha=8.0000000000000001"],
     "parameter 'alpha' must be at most 8, got 8.0000000000000001"),
    (["v2", "--alpha", "0.0000000000000000000000000000000000000000000000000001e-300"],
     None),  # tiny but positive: more than 0, so accepted (and analysed) exactly
    (["v1", "--res", "224.00000000000001"],
     "'input height' must be a whole number, got 224.00000000000001"),
    (["v1", "--classes", "1000.0000000000000001"],
     "'out' must be a whole number, got 1000.0000000000000001"),
    (["v1", "--alpha", "1e99999"],
     "parameter 'alpha' takes a number, got '1e99999': number '1e99999' is out of range"),
    (["v1", "--alpha", "1" * 1200],
     "parameter 'alpha' takes a number, got '11111111111111111111...': expression longer"),
    (["v2", "--alpha", "0.5\udcff"],  # an undecodable byte on the command line
     "parameter 'alpha' takes a number, got '0.5\\udcff': \\udcff in expression"),
    (["compare", "v2:alpha=\udcff"], "\\udcff in expression '\\udcff' is not a character"),
    (["v2", "--depth", "9" * 5000], "Invalid value for '--depth' / '-d': '99999999999999999999'"
                                    "... has more than 1000 digits"),
    (["solve", "v2", "--macs", "100M", "--step", "9" * 5000], "has more than 1000 digits"),
    (["solve", "v2", "--macs", "1" * 5000], "--macs: number '11111111111111111111...' has "
                                           "more than 1000 digits"),
]


@pytest.mark.parametrize("args, message", BOUND_CASES,
                         ids=[" ".join(c[0])[:40] for c in BOUND_CASES])
def test_near_float_literals_are_judged_as_written(args, message):
    if message is None:
        run(*args)
        return
    result = run(*args, code=2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_library_floats_read_as_the_decimal_they_print():
    assert analyze("v1", alpha=0.1).total.macs == analyze("v1", alpha=Fraction(1, 10)).total.macs
    with pytest.raises(UsageError, match="must be a finite number, got inf"):
        analyze("v1", alpha=float("inf"))


# ----------------------------------------------------------------------------- the literal grammar

# Decimal literals in the forms YAML and expressions share; Python's Fraction reads each exactly.
DECIMALS = ["0", "-0", "7", "-12", "0.35", ".5", "7.", "1e5", "1E-3", "1.5e+7", "2.5E3",
            "1_000", "1_000.000_5", "+3.25", "00.5", "0e7", "123456789012345678901234567890.5",
            "0." + "0" * 300 + "1", "9" * 1000, "1e1233", "1e-1233", "4.4e-1200"]


@pytest.mark.parametrize("text", DECIMALS)
def test_decimal_literals_are_exact(text):
    value = numbers.parse(text)
    assert value == Fraction(text.replace("_", ""))
    assert type(value) is (int if Fraction(text.replace("_", "")).denominator == 1 else Fraction)


@pytest.mark.parametrize("text", [t for t in DECIMALS if not t.startswith(("+", "-"))])
def test_yaml_and_expression_read_a_literal_alike(text):
    yaml_value = source.load(f"x: {text}\n", "x.yaml")["x"]
    expr_value = expr.compile_expression(text).evaluate({})
    assert yaml_value == expr_value == numbers.parse(text)


def test_random_literals_next_to_floats_are_exact():
    rng = random.Random(1905)
    for _ in range(2000):
        base = rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-20, 20)
        text = repr(base)
        if "e" not in text:
            text += "0" * rng.randint(0, 5) + str(rng.randint(1, 9))  # past the float's digits
        exact = Fraction(text)
        assert numbers.parse(text) == exact
        assert expr.compile_expression(f"{text} * 1").evaluate({}) == exact
        assert source.load(f"x: {text}\n", "x.yaml")["x"] == exact


# (text, message fragment): refused, quickly, with the reason
LITERAL_REFUSALS = [
    ("1.0e+999999999", "out of range"),
    ("1e" + "9" * 5000, "out of range"),
    ("1e-1234", "out of range"),
    ("1" * 1001, "more than 1000 digits"),
    ("0." + "1" * 1001, "more than 1000 digits"),
    ("0x" + "f" * 5000, "more than 1000 digits"),
    ("010", "leading zero, which YAML 1.1 reads as octal 8: write it as a plain decimal"),
    ("09", "leading zero: write it as a plain decimal"),
    ("1:00", "base 60 in YAML 1.1 (60): write it as a plain decimal"),
    ("-1:30", "base 60 in YAML 1.1 (-90)"),
    (":".join(["1"] * 400_000), "base 60 in YAML 1.1: write it as a plain decimal"),
    ("1:30.5", "base 60 in YAML 1.1: write it"),
    (".inf", "not finite"),
    ("-.inf", "not finite"),
    (".nan", "not finite"),
]


@pytest.mark.parametrize("text, message", LITERAL_REFUSALS,
                         ids=[c[0][:20] for c in LITERAL_REFUSALS])
def test_literals_are_bounded_and_unambiguous(text, message):
    with pytest.raises(numbers.LiteralError, match=message.replace("(", r"\(").replace(")", r"\)")):
        numbers.parse(text)
    with pytest.raises(SpecError) as caught:  # the same refusal, located, in a spec value
        source.load(f"a: 1\nx: {text}\n", "x.yaml")
    assert str(caught.value).startswith("x.yaml:2:4: ")
    with pytest.raises(SpecError) as caught:  # and in a description (read before its type)
        parse(f"description: {text}\ninput: [3, 8, 8]\nlayers: []\n", "x.yaml")
    assert str(caught.value).startswith("x.yaml:1:14: ")


def test_hex_and_binary_read_alike_in_yaml_and_expressions():
    for text, value in (("0x1F", 31), ("0b101", 5), ("0o17", 15), ("-0x10", -16)):
        assert numbers.parse(text) == source.load(f"x: {text}\n", "x.yaml")["x"] == value
        assert expr.compile_expression(text.lstrip("-")).evaluate({}) == abs(value)


@pytest.mark.parametrize("text, message", [
    ("!!bool maybe", "'maybe' is not true or false"),
    ('!!int "0.5"', "'0.5' is not a whole number"),
    ('!!float "1.0e+999999999"', "out of range"),
    ("!!int abc", "'abc' is not a number"),
])
def test_explicit_tags_go_through_the_same_reader(text, message):
    with pytest.raises(SpecError, match=message) as caught:
        source.load(f"x: {text}\n", "x.yaml")
    assert str(caught.value).startswith("x.yaml:1:4: ")


def test_names_that_start_with_digits_stay_text():
    doc = source.load("a: 3x3\nb: 1.2.3\nc: 12:61\nd: '0.5'\ne: v1\n", "x.yaml")
    assert doc == {"a": "3x3", "b": "1.2.3", "c": "12:61", "d": "0.5", "e": "v1"}


# ----------------------------------------------------------------- computed values stay bounded

EXPRESSION_REFUSALS = [
    ("round(1, 10**8)", "round(): more than"),
    ("round(1/3, 2000)", "number too large"),
    ("round(1, 1/2)", "whole number"),
    ("(((1/3)**64)**64)**3", "number too large"),
    ("((1/3)**64)**64", "number too large"),  # the numerator is 1: only the denominator grows
    ("(2**64)**64", "number too large"),
    ("1e999 * 1e999", "number too large"),
    ("1/(1e999 * 1e999)", "number too large"),
]


@pytest.mark.parametrize("text, message", EXPRESSION_REFUSALS,
                         ids=[c[0] for c in EXPRESSION_REFUSALS])
def test_expression_values_are_bounded(text, message):
    with pytest.raises(expr.ExprError, match=message.replace("(", r"\(").replace(")", r"\)")):
        expr.compile_expression(text).evaluate({})


def test_denominators_of_a_chain_stay_bounded():
    """Adding 1/p for growing primes makes the denominator grow at every step: it is refused
    when it passes MAX_BITS, and every value before that is within the bound."""
    primes = [p for p in range(2, 5000) if all(p % d for d in range(2, int(p**0.5) + 1))]
    env: dict = {"x": 0}
    with pytest.raises(expr.ExprError, match="number too large"):
        for p in primes:
            env["x"] = expr.compile_expression(f"x + 1/{p}").evaluate(env)
            assert not numbers.too_big(env["x"])


def test_every_successful_random_expression_is_within_the_bound():
    rng = random.Random(13)
    ops = ["+", "-", "*", "/", "**"]
    for _ in range(500):
        text = str(rng.randint(1, 10**6)) + "/" + str(rng.randint(1, 10**6))
        for _ in range(rng.randint(1, 12)):
            op = rng.choice(ops)
            operand = (str(rng.randint(2, 64)) if op == "**"
                       else f"{rng.randint(1, 999)}/{rng.randint(1, 999)}")
            text = f"({text}) {op} {operand}"
        try:
            value = expr.compile_expression(text).evaluate({})
        except expr.ExprError as exc:
            assert "too large" in exc.message or "nested" in exc.message or "zero" in exc.message
            continue
        assert not numbers.too_big(value)
        numbers.format_number(value)  # printable: far below Python's int-to-text limit


# -------------------------------------------------------------------- reading input with bounds

class _CountingFile:
    """A file of endless zeros that counts the bytes it hands out."""

    def __init__(self):
        self.given = 0

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "an unbounded read"
        self.given += size
        return b"\0" * size

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_endless_input_is_read_only_to_the_limit(monkeypatch):
    endless = _CountingFile()
    monkeypatch.setattr(source, "open", lambda *a, **k: endless, raising=False)
    with pytest.raises(SpecError, match=f"file larger than {source.MAX_BYTES} bytes"):
        source.read_text("endless.yaml")
    assert endless.given == source.MAX_BYTES + 1


@pytest.mark.parametrize("args", [["/dev/zero"], ["validate", "/dev/zero"], ["/dev/urandom"],
                                  ["v2", "--convention", "/dev/zero"]])
def test_device_files_are_refused_at_the_limit(args):
    result = run(*args, code=2)
    assert result.stderr.splitlines()[-1].endswith(
        f"larger than {source.MAX_BYTES} bytes (limit COSTCALC_MAX_BYTES={source.MAX_BYTES}; "
        "set that environment variable higher to accept more)")


def test_a_long_document_is_refused_while_it_is_parsed():
    """A flow list of 2M items at the size cap: refused at item MAX_NODES, where it stands."""
    text = "layers: [" + "1," * 1_990_000 + "1]\n"
    assert len(text) < source.MAX_BYTES
    with pytest.raises(SpecError) as caught:
        source.load(text, "long.yaml")
    error = caught.value
    assert error.message == (f"document has more than {source.MAX_NODES} values (limit "
                             f"COSTCALC_MAX_VALUES={source.MAX_NODES}; set that environment "
                             "variable higher to accept more)")
    # the root mapping, its key, the list: item MAX_NODES - 3 (0-based) is the first refused
    assert (error.line, error.column) == (1, len("layers: [") + 2 * (source.MAX_NODES - 3) + 1)


def test_deep_block_nesting_is_refused_where_it_passes_the_limit():
    text = "layers:\n" + "".join("  " * i + "- \n" for i in range(source.MAX_DEPTH + 5))
    with pytest.raises(SpecError) as caught:
        source.load(text, "deep.yaml")
    assert caught.value.message == f"YAML nested deeper than {source.MAX_DEPTH} levels"
    assert caught.value.line is not None and caught.value.column is not None


# ----------------------------------------------------------------------------- characters, located

CHARACTER_CASES = [
    ("NUL", "input: [3, 8, 8]\nname: a\0b\nlayers: []\n", "2:8",
     "character U+0000 is not allowed in YAML text"),
    ("BEL", "input: [3, 8, 8]\nlayers: []\n# \a\n", "3:3",
     "character U+0007 is not allowed in YAML text"),
    ("ESC in a name", "name: x\x1b[31m\ninput: [3, 8, 8]\nlayers: []\n", "1:8",
     "character U+001B is not allowed in YAML text"),
    ("lone surrogate in a name", 'name: "\\ud800"\ninput: [3, 8, 8]\nlayers: []\n', "1:7",
     "text contains \\ud800, half of a UTF-16 surrogate pair and not a character"),
    ("lone surrogate in a key", '"\\udfff": 1\ninput: [3, 8, 8]\nlayers: []\n', "1:1",
     "text contains \\udfff"),
    ("lone surrogate in a layer name", "input: [3, 8, 8]\nlayers:\n  - {kind: bn, name: "
     '"a\\udc80"}\n', "3:22", "text contains \\udc80"),
]


@pytest.mark.parametrize("case, text, where, message", CHARACTER_CASES,
                         ids=[c[0] for c in CHARACTER_CASES])
def test_characters_give_located_errors(tmp_path, monkeypatch, case, text, where, message):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    for command in ([], ["validate"]):
        result = run(*command, "spec.yaml", code=2)
        assert result.stdout == ""
        assert result.stderr == f"error: spec.yaml:{where}: {message}" + result.stderr[
            len(f"error: spec.yaml:{where}: {message}"):]
        assert len(result.stderr.splitlines()) == 1


# ----------------------------------------------------------------------------- convention weights

WEIGHT_CASES = [
    ("fraction", "0.5", "must be a whole number from 0 to 1000, got 0.5"),
    ("rational text", "1/2", "must be a whole number from 0 to 1000, got '1/2'"),
    ("5,000 digits", "9" * 5000, "number '99999999999999999999...' has more than 1000 digits"),
    ("900 digits", "9" * 900, "must be a whole number from 0 to 1000, got 99999999999999999999..."),
    ("near-float", "1.0000000000000000001", "got 1.0000000000000000001"),
    ("negative", "-1", "got -1"),
    ("exponent", "1.0e+999999999", "out of range"),
]


@pytest.mark.parametrize("case, weight, message", WEIGHT_CASES, ids=[c[0] for c in WEIGHT_CASES])
def test_profile_weights_are_whole_and_bounded(tmp_path, case, weight, message):
    path = tmp_path / "p.yaml"
    path.write_text(f"base: paper\nmacs:\n  conv_macs: {weight}\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_profile(str(path))
    assert str(caught.value).startswith(f"{path}:3:14: ")
    assert message in str(caught.value)


def test_a_whole_weight_is_applied():
    path = Path(__file__).parent / "data" / "double_conv_profile.yaml"
    profile = load_profile(str(path))
    doubled = analyze("v2", convention=str(path)).total.macs
    paper = analyze("v2").total.macs
    assert profile.macs["conv_macs"] == 2
    assert doubled > paper


# (id, text, nesting error expected): the nesting pre-scan reads quoted scalars as YAML does
QUOTE_CASES = [
    ("escaped double quote", 'x: ["a\\"' + "[" * 5000 + '"]\n', False),
    ("doubled single quote", "x: ['it''s" + "[" * 5000 + "']\n", False),
    ("escaped backslash ends the string", 'x: ["a\\\\", ' + "[" * 100 + "]" * 100 + "]\n", True),
    ("quote closed before deep flow", "x: ['a', " + "[" * 100 + "]" * 100 + "]\n", True),
    ("quote in a plain scalar", "x: [a '" + "[" * 5000 + "\n", False),
]


@pytest.mark.parametrize("case, text, deep", QUOTE_CASES, ids=[c[0] for c in QUOTE_CASES])
def test_quotes_neither_hide_nor_invent_nesting(case, text, deep):
    try:
        source.load(text, "q.yaml")
    except SpecError as exc:
        assert exc.line is not None and exc.column is not None, str(exc)
        assert ("nested deeper than 64 levels" in exc.message) == deep, str(exc)
    else:
        assert not deep


def test_show_writes_every_digit_of_a_decimal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text("input: [3, 8, 8]\nlayers:\n"
                              "  - {kind: se, ratio: 0.250000000000000000001}\n"
                              "  - {kind: se, ratio: 0.5}\n", encoding="utf-8")
    shown = run("show", "t.yaml").stdout
    assert "ratio: 0.250000000000000000001}" in shown and "ratio: 0.5}" in shown
    Path("shown.yaml").write_text(shown, encoding="utf-8")
    assert [entry["ratio"] for entry in load("shown.yaml").layers] == [
        Fraction("0.250000000000000000001"), Fraction(1, 2)]
    data = json.loads(run("show", "t.yaml", "--format", "json").stdout)
    assert [entry["ratio"] for entry in data["layers"]] == ["0.250000000000000000001", 0.5]
