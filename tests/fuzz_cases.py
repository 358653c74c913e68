"""Random spec generators and mutators shared by the hypothesis tests and scripts/fuzz.py.

Everything is driven by a ``random.Random`` so that hypothesis (``st.randoms()``) and the long
fuzz run use the same code. ``outcome(text)`` is the oracle: a spec either builds into a report
or fails with a ``CostcalcError`` whose text is one located line; anything else is a crash.
"""
from __future__ import annotations

import copy
import math
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from costcalc.errors import CostcalcError, SpecError, UsageError, split_hint

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PATH = "fuzz.yaml"

# ----------------------------------------------------------------------------- valid specs

ACTS = ("none", "relu", "relu6", "hswish")


def _make_divisible(value: int, divisor: int = 8) -> int:
    new = max(divisor, (value + divisor // 2) // divisor * divisor)
    return new + divisor if 10 * new < 9 * value else new


def random_valid_spec(rng: random.Random) -> tuple[str, dict[str, int]]:
    """A random spec that must build, and the paper-convention MACs and params it must give.

    Only kinds whose cost is simple enough to recompute here carry an expected value
    (conv, dwconv, pwconv, linear, depthwise_separable, pools, bn, activations); the rest
    (inverted residuals, SE, residual, parallel) only contribute to the invariants checked by
    the caller, and make ``expected`` None.
    """
    c = rng.randint(1, 16)
    h = rng.randint(1, 40)
    w = rng.randint(1, 40) if rng.random() < 0.3 else h
    shape = [c, h, w]
    layers: list[dict[str, Any]] = []
    macs = params = 0
    exact_known = True
    for _ in range(rng.randint(1, 8)):
        choice = rng.choice(("conv", "dwconv", "pwconv", "bn", "act", "pool", "dsconv", "ir",
                             "se", "residual", "parallel", "conv_expr"))
        if choice in ("conv", "conv_expr"):
            k = rng.choice((1, 3, 5))
            s = rng.choice((1, 1, 2))
            groups = rng.choice([g for g in (1, 2, 4) if c % g == 0])
            out = groups * rng.randint(1, 8)
            entry = {"kind": "conv", "out": out, "kernel": k, "stride": s, "groups": groups,
                     "bn": rng.random() < 0.5, "act": rng.choice(ACTS)}
            if choice == "conv_expr":
                entry["out"] = f"{groups} * max(1, {out // groups} * scale)"
            h, w = -(-h // s), -(-w // s)
            macs += k * k * (c // groups) * out * h * w
            params += k * k * (c // groups) * out
            c = out
        elif choice == "dwconv":
            k, s = rng.choice((3, 5)), rng.choice((1, 2))
            entry = {"kind": "dwconv", "kernel": k, "stride": s}
            h, w = -(-h // s), -(-w // s)
            macs += k * k * c * h * w
            params += k * k * c
        elif choice == "pwconv":
            out = rng.randint(1, 24)
            entry = {"kind": "pwconv", "out": out, "bias": rng.random() < 0.3}
            macs += c * out * h * w
            params += c * out + (out if entry["bias"] else 0)
            c = out
        elif choice == "bn":
            entry = {"kind": "bn"}
        elif choice == "act":
            entry = {"kind": "activation", "fn": rng.choice(ACTS[1:])}
        elif choice == "pool":
            k = rng.randint(1, min(h, w, 3))
            entry = {"kind": rng.choice(("maxpool", "avgpool")), "kernel": k}
            h, w = (h - k) // k + 1, (w - k) // k + 1
        elif choice == "dsconv":
            out, s = rng.randint(1, 24), rng.choice((1, 2))
            entry = {"kind": "depthwise_separable", "out": out, "stride": s}
            h, w = -(-h // s), -(-w // s)
            macs += 9 * c * h * w + c * out * h * w
            params += 9 * c + c * out
            c = out
        elif choice == "ir":
            out, s = rng.randint(1, 24), rng.choice((1, 2))
            entry = {"kind": rng.choice(("inverted_residual", "bneck", "mbconv")), "out": out,
                     "stride": s, "expand": rng.choice((1, 3, 6)), "se": rng.random() < 0.4}
            h, w, c = -(-h // s), -(-w // s), out
            exact_known = False
        elif choice == "se":
            entry = {"kind": "se", "ratio": rng.choice((0.25, 0.5))}
            exact_known = False
        elif choice == "residual":
            entry = {"kind": "residual", "body": [
                {"kind": "conv", "out": c, "kernel": 3, "bn": True, "act": "relu"},
                {"kind": "conv", "out": c, "kernel": 3, "bn": True}], "act": "relu"}
            exact_known = False
        else:
            branches = [[{"kind": "pwconv", "out": rng.randint(1, 8)}]
                        for _ in range(rng.randint(1, 3))]
            entry = {"kind": "parallel", "branches": branches}
            c = sum(b[0]["out"] for b in branches)
            exact_known = False
        if rng.random() < 0.3:
            entry["name"] = f"layer{len(layers)}"
        elif rng.random() < 0.2:
            entry["name"] = unicode_name(rng, len(layers))
        layers.append(entry)
    if rng.random() < 0.5:
        classes = rng.randint(1, 50)
        layers += [{"kind": "global_avg_pool"}, {"kind": "linear", "out": classes, "bias": False}]
        macs += c * classes
        params += c * classes
    spec = {"name": "random", "parameters": {"scale": 1}, "input": shape, "layers": layers}
    text = yaml.safe_dump(spec, sort_keys=False, default_flow_style=None)
    return text, ({"macs": macs, "params": params} if exact_known else None)


# ----------------------------------------------------------------------------- number literals

FLOAT_NEIGHBOURS = (0.5, 1.0, 0.75, 0.35, 0.25, 1.4, 0.1, 2.0, 0.999, 1.3)


def near_float_literal(rng: random.Random) -> str:
    """A positive decimal literal in (0, 8] that a binary float rounds to another value.

    A float's shortest text with digits added past the float's precision, the same minus a
    tiny amount, or either written with an exponent: exactly the literals that came out wrong
    when numbers were read through floats (0.499999999999999999 analysed as 0.5).
    """
    from costcalc.numbers import format_number

    base = Fraction(repr(rng.choice(FLOAT_NEIGHBOURS) if rng.random() < 0.6
                         else rng.uniform(0.01, 7.9)))
    tiny = Fraction(rng.randint(1, 9), 10 ** rng.randint(17, 40))
    value = base + tiny if rng.random() < 0.5 else base - tiny
    text = format_number(value)
    if rng.random() < 0.3:  # the same value with an exponent: 0.5000...1 -> 5000...1e-N
        whole, _, frac = text.partition(".")
        text = f"{whole}{frac}e-{len(frac)}".lstrip("0") or "0"
    point = text.find(".")
    if rng.random() < 0.1 and point >= 0 and len(text) > point + 2:  # 0.4_99...: digit groups
        text = text[:point + 2] + "_" + text[point + 2:]
    return text


def random_literal_spec(rng: random.Random) -> tuple[str, dict[str, int], dict[str, str] | None]:
    """A spec whose one width is ``floor(LITERAL * k)``, with LITERAL near a float.

    The literal is written as a YAML parameter default, a ``let`` value, inside the layer's
    expression, or given as a command-line override; every way must give the exact count,
    computed here from the literal's text with Fraction.
    """
    literal = near_float_literal(rng)
    k = rng.randint(1, 64)
    c, h = rng.randint(1, 16), rng.randint(1, 16)
    out = max(1, math.floor(Fraction(literal.replace("_", "")) * k))
    where = rng.choice(("default", "let", "expression", "override"))
    a = literal if where == "default" else "1"
    factor = literal if where == "expression" else "b"
    width = f"max(1, floor({factor} * {k}))"
    let = f"let:\n  b: {literal}\n" if where == "let" else "let:\n  b: a\n"
    text = (f"name: literal\nparameters:\n  a: {{default: {a}, more_than: 0, max: 8}}\n{let}"
            f"input: [{c}, {h}, {h}]\nlayers:\n  - {{kind: pwconv, out: \"{width}\"}}\n")
    overrides = {"a": literal} if where == "override" else None
    return text, {"macs": c * out * h * h, "params": c * out}, overrides


# Names a user may write: accents, Greek, CJK, right-to-left, combining marks, zero-width
# joiners, mathematical letters, astral emoji, and text that looks like terminal markup,
# escape sequences or LaTeX/HTML/CSV syntax (safe_dump escapes what YAML cannot hold raw).
NAME_PIECES = ("é", "Ω", "网络", "שלום", "مرحبا", "e\u0301", "\u200d", "\u200f", "𝐀", "😀",
               "[b]", "[/red]", "[link=http://x]", "\x1b]8;;http://x\x1b\\", "\x1b[31m",
               "%", "\\input{/etc/passwd}", "<script>", "a,b", '"q"', "|", "*", "\n", "\t")


def unicode_name(rng: random.Random, index: int) -> str:
    """A layer name made of hostile and non-ASCII pieces, unique by its ``index`` suffix."""
    pieces = [rng.choice(NAME_PIECES) for _ in range(rng.randint(1, 4))]
    return "".join(pieces) + str(index)


# ----------------------------------------------------------------------------- mutations

GARBAGE = (
    None, True, False, 0, -1, -7, 3.5, 10**12, 10**40, "", " ", "x", "abc", "1/0", "1 +",
    "alpha **", "__import__('os')", "in_channels.real", "[1, 2]", "lambda: 1", "10**10**10",
    "nan", ".inf", "-0", "in_channels / 3", "make_divisible(", "max()", "min(1, true)",
    [], [1], [1, 2, 3], {}, {"a": 1}, {"kind": "conv"}, "same", "valid", "relu", "∞", "\u0000",
    "8.0000000000000001", "0.499999999999999999", "224.00000000000001", "1.0e+999999999",
    "1e-99999", "0x" + "f" * 1500, "9" * 1200, "010", "1:00", ":".join(["1"] * 1000),
    "round(1, 10**8)", "(((1/3)**64)**64)**3", "\ud800", "a\udfffb", "𝐀", "[/red]", "\x07",
)
SNIPPETS = (
    "{", "}", "[", "]", ":", "- ", "&a", "*a", "!!python/object/apply:os.system ['true']",
    "!!binary aGk=", "\t", "\"", "'", "#", "\n  ", "? ", "|", ">", "%YAML 1.1\n", "---\n",
    "...\n", "\xff", "kind: conv", "repeat: 99999999", "out: 0", "stride: -1",
    "1.0e+999999999", "0.99999999999999999999", "8.0000000000000001", "\x00", "\x07",
    "\"\\ud800\"", ":1:1:1", "0x" + "f" * 1200, "010", "𝐀",
)


# Pieces of display strings that mean something to a terminal, rich, LaTeX, Markdown, HTML or a
# spreadsheet; hostile_text() strings several together.
HOSTILE_PIECES = (
    "[/red]", "[b]", "[/b]", ":smile:", "\x1b]8;;http://x\x1b\\", "\x1b[31m", "\x1b[2J", "\x07",
    "\r", "\n", "\t", "\u202e", "\u2028", "\u200b", "\\input{/etc/passwd}", "\\write18{ls}",
    "\\\\[1em]", "%", "&", "#", "_", "{", "}", "~", "^", "\\", "$", "|", "*", "`", "<script>",
    "</td>", "&amp;", "[x](http://e)", "=1+1", "+1", "-1-", "@SUM(A1)", "=cmd|' /C calc'!A0",
    "# ", "1. ", "> ", "---", "'", '"', "é", "\u2603", "x", " ",
)


def hostile_text(rng: random.Random) -> str:
    """A display string of one to five hostile pieces (never empty)."""
    return "".join(rng.choice(HOSTILE_PIECES) for _ in range(rng.randint(1, 5)))


def with_hostile_names(rng: random.Random, text: str) -> str:
    """``text`` (a spec that builds) with hostile display strings as its name, description,
    layer names and a text parameter's value."""
    doc = yaml.safe_load(text)
    doc["name"] = hostile_text(rng)
    doc["description"] = hostile_text(rng)
    value = hostile_text(rng)
    doc.setdefault("parameters", {})["label"] = {"default": value, "choices": [value, "x"],
                                                 "description": hostile_text(rng)}
    for index, entry in enumerate(doc["layers"]):
        if isinstance(entry, dict) and rng.random() < 0.5:
            name = hostile_text(rng).replace(".", "").replace("#", "")
            entry["name"] = f"{name}{index}"  # unique, never empty
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=rng.random() < 0.5)


def displayed(text: str) -> None:
    """Render the report of spec ``text`` in every format and check that no display string
    escaped its format: only newline among the control characters, one record per CSV line
    with the header's field count, Markdown rows with the header's cell count, one LaTeX line
    per row (every other line a command) and no LaTeX command a plain name would not give."""
    import csv
    import io
    import re

    from costcalc.api import analyze
    from costcalc.render import render
    from costcalc.render.controls import visible
    from costcalc.costing.report_table import report_table
    from costcalc.spec.document import parse

    table = report_table(analyze(parse(text, PATH)), depth=2)
    for fmt in ("table", "json", "csv", "markdown", "latex"):
        output = render(table, fmt, color=False)
        assert visible(output.replace("\n", "")) == output.replace("\n", ""), (fmt, output)
        lines = output.splitlines()
        if fmt == "csv":
            assert len({len(row) for row in csv.reader(io.StringIO(output))}) == 1, output
            assert len(lines) == len(table.rows) + 1, output
        elif fmt == "markdown":
            rows = [line for line in lines if line.startswith("|")]
            assert len(rows) == len(table.rows) + 2, output
            assert len({len(re.findall(r"(?<!\\)\|", row)) for row in rows}) == 1, output
        elif fmt == "latex":
            body = re.sub(r"\\(textbackslash|textasciitilde|textless|textgreater|textbar)\{\}"
                          r"|\\[&%$#_{}^]", "", output)
            commands = set(re.findall(r"\\([A-Za-z]+)", body))
            assert commands <= LATEX_COMMANDS, (commands - LATEX_COMMANDS, output)
            rows = [line for line in lines if line.endswith(" \\\\")]
            assert len(rows) == len(table.rows) + 1, output  # the header and each row
            assert all(line.startswith("\\") for line in lines if line not in rows), output


# The commands a report's LaTeX uses; anything else came from a name.
LATEX_COMMANDS = frozenset({"begin", "end", "centering", "small", "caption", "toprule",
                            "midrule", "bottomrule", "addlinespace", "textbf", "quad", "par",
                            "smallskip", "footnotesize", "resizebox", "linewidth",
                            "raggedright", "label", "times", "alpha", "rho", "textsuperscript",
                            "max", "min", "begingroup", "endgroup", "endfirsthead", "endhead",
                            "endlastfoot"})


def zoo_texts() -> list[tuple[str, str]]:
    """(name, text) of every zoo spec."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(CONFIGS.glob("*.yaml"))]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every (container path, key) in a plain YAML value."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(prefix + (key,))
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append(prefix + (index,))
            found += _paths(item, prefix + (index,))
    return found


def _parent(doc: Any, path: tuple) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def mutate_structure(rng: random.Random, text: str) -> str:
    """Delete keys, swap in values of the wrong type or garbage, duplicate or move entries."""
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        return text  # already broken text: left to the textual mutations
    for _ in range(rng.randint(1, 4)):
        paths = _paths(doc)
        if not paths:
            break
        path = rng.choice(paths)
        parent = _parent(doc, path)
        key = path[-1]
        action = rng.random()
        if action < 0.3:
            del parent[key]
        elif action < 0.8:
            parent[key] = copy.deepcopy(rng.choice(GARBAGE))
        elif action < 0.9 and isinstance(parent, list):
            parent.insert(rng.randrange(len(parent) + 1), parent[key])
        elif isinstance(parent, dict):
            parent[rng.choice(("kernal", "outt", "strde", "kind", "repeat", "bogus"))] = \
                parent.pop(key)
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def mutate_text(rng: random.Random, text: str) -> str:
    """Truncate, splice snippets in, flip characters or duplicate lines of the raw text."""
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        position = rng.randrange(len(text) + 1)
        if action < 0.25:
            text = text[:position]
        elif action < 0.55:
            text = text[:position] + rng.choice(SNIPPETS) + text[position:]
        elif action < 0.8 and text:
            position = min(position, len(text) - 1)
            text = text[:position] + chr(rng.randrange(32, 127)) + text[position + 1:]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                line = rng.randrange(len(lines))
                lines.insert(line, lines[rng.randrange(len(lines))])
                text = "".join(lines)
    return text


def mutate(rng: random.Random, text: str) -> str:
    """One random mutation of spec text, structural or textual."""
    if rng.random() < 0.6:
        return mutate_structure(rng, text)
    return mutate_text(rng, text)


def random_overrides(rng: random.Random, text: str) -> dict[str, str]:
    """Command-line style overrides (text) for the parameters a spec declares, or near them."""
    try:
        declared = list((yaml.safe_load(text) or {}).get("parameters") or {})
    except (yaml.YAMLError, AttributeError):
        declared = []
    names = declared + ["alpha", "resolution", "res", "width", "bogus"]
    values = ("0", "-1", "1", "0.5", "1/3", "0.0001", "7", "224", "1e3", "100000", "100001",
              "true", "tf", "torchvision", "x", "", "1.5", "2**10", "max(1, 2)", "alpha",
              "__import__('os')", "9" * 50, "8.0000000000000001", "1e-99999", "1.0e+999999999",
              "round(1, 10**8)", "(((1/3)**64)**64)**3", "0x" + "f" * 1200)
    return {rng.choice(names): rng.choice(values) if rng.random() < 0.8
            else near_float_literal(rng) for _ in range(rng.randint(1, 3))}


# ----------------------------------------------------------------------------- the oracle

def outcome(text: str, overrides: dict | None = None, valid: bool = False,
            expected: dict | None = None) -> str:
    """Analyse spec ``text``: "ok" or "error"; raises AssertionError on anything else.

    An error must be a CostcalcError whose text is one line; a located SpecError must name
    this file. A report must have whole-number rows that add up to its totals. With ``valid``,
    the spec must build and validate cleanly, and match ``expected`` MACs and params if given.
    """
    from costcalc.api import analyze
    from costcalc.spec.validate import check_text
    from costcalc.spec.document import parse

    try:
        problems = check_text(text, PATH, overrides)
    except UsageError as exc:  # a bad override: the report must refuse it the same way
        try:
            analyze(parse(text, PATH), **(overrides or {}))
        except UsageError as again:
            assert str(again) == str(exc) and "\n" not in str(exc)
            return "error"
        raise AssertionError(f"validate refused overrides that the report accepts: {exc}")
    places = set()
    for problem in problems:
        assert "\n" not in str(problem) and str(problem).startswith(PATH), str(problem)
        place = (problem.line, problem.column, split_hint(problem.message)[0])
        assert place not in places, f"reported twice: {problem}"
        places.add(place)
    try:
        report = analyze(parse(text, PATH), **(overrides or {}))
    except CostcalcError as exc:
        assert not valid, f"a valid spec was rejected: {exc}"
        message = str(exc)
        assert message and "\n" not in message, message
        if isinstance(exc, SpecError):
            assert message.startswith(PATH + ":") or message.startswith(PATH), message
        assert problems, f"validate passed a spec that fails: {message}"
        return "error"
    # (validate may still report problems in parts this build does not use, e.g. repeat: 0)
    assert not (valid and problems), f"validate rejected a valid spec: {problems[0]}"
    if expected is not None:
        assert (report.total.macs, report.total.params) == (expected["macs"], expected["params"])
    for key in ("macs", "params", "activations"):
        rows = [getattr(r, key) for r in report.layers]
        assert all(type(v) is int and v >= 0 for v in rows), key
        assert sum(rows) == getattr(report.total, key)
        assert report.to_dict()["total"][key] == sum(rows)
    return "ok"
