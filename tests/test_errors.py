"""Every kind of bad input: exit code 2, one line on stderr at the exact place, nothing on stdout.

Each spec case is written to ``spec.yaml`` and run as ``costcalc spec.yaml`` (the report); the
expected line is ``error: spec.yaml:LINE:COL: ...`` with the message fragment given. The same
spec run through ``costcalc validate`` must report that same line (and nothing else: every
case has one problem). Command-line cases give the arguments and the whole expected message.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from costcalc.cli import app
import costcalc.spec.document  # noqa: F401  (registers every layer kind)
from costcalc.graph.registry import public_kinds

runner = CliRunner()

HEAD = "input: [3, 8, 8]\nlayers:\n"
NO_LAYERS = "input: [3, 8, 8]\nlayers: []\n"


def one(entry: str) -> str:
    """A spec whose only layer (line 3, flow mapping at column 5) is ``entry``."""
    return HEAD + f"  - {entry}\n"


def _empty_blocks(levels: int, repeat: int) -> str:
    """Blocks with nothing in them, each repeating the one below ``repeat`` times."""
    blocks = "".join(f"  e{k}: {{layers: [{{kind: e{k - 1}, repeat: {repeat}}}]}}\n"
                     for k in range(1, levels))
    return (f"input: [3, 8, 8]\nblocks:\n  e0: {{layers: []}}\n{blocks}layers:\n"
            f"  - {{kind: e{levels - 1}, repeat: {repeat}}}\n")


def _block_chain(depth: int) -> str:
    """Block b{k} is a call of block b{k-1}: one call nests ``depth`` blocks."""
    blocks = "".join(f"  b{k}: {{layers: [{{kind: b{k - 1}}}]}}\n" for k in range(1, depth))
    return (f"input: [3, 8, 8]\nblocks:\n  b0: {{layers: [{{kind: bn}}]}}\n{blocks}"
            f"layers:\n  - {{kind: b{depth - 1}}}\n")


def _nested_residuals(depth: int) -> str:
    """A residual whose body is a residual, ``depth`` times, in block-style YAML."""
    text = HEAD
    for level in range(depth):
        indent = "  " + "    " * level
        text += f"{indent}- kind: residual\n{indent}  body:\n"
    return text + "  " + "    " * depth + "- {kind: bn}\n"


# (id, spec text, extra arguments, "line:col" or "" for no position, message fragment)
SPEC_CASES = [
    # --- the file and the document
    ("malformed yaml", HEAD + "  - {kind: conv, out: 8\n", [], "4:1",
     "malformed YAML: expected ',' or '}', but got '<stream end>'"),
    ("tab indentation", "input: [3, 8, 8]\nlayers:\n\t- {kind: bn}\n", [], "3:1",
     "malformed YAML: found character '\\t' that cannot start any token"),
    ("empty file", "", [], "1:1", "empty file: a spec is a YAML mapping"),
    ("only a comment", "# nothing here\n", [], "1:1", "empty file: a spec is a YAML mapping"),
    ("document is a list", "- kind: conv\n- kind: bn\n", [], "1:1",
     "a spec must be a YAML mapping with 'layers'"),
    ("document is a number", "42\n", [], "1:1", "a spec must be a YAML mapping with 'layers'"),
    ("duplicate key", NO_LAYERS + "input: [3, 4, 4]\n", [], "3:1", "duplicate key 'input'"),
    # --- keys and types
    ("unknown top-level key", "input: [3, 8, 8]\nlayrs: []\nlayers: []\n", [], "2:1",
     "unknown top-level key 'layrs' (did you mean 'layers'?)"),
    ("unknown layer key", one("{kind: conv, out: 8, kernal: 3}"), [], "3:26",
     "conv: unknown key 'kernal' (did you mean 'kernel'?); valid keys: act, bias, bn, "
     "dilation, groups, kernel, out, padding, stride"),
    ("unknown parameter key", "parameters: {a: {default: 1, maxx: 2}}\n" + NO_LAYERS, [], "1:30",
     "parameter 'a': unknown key 'maxx' (valid: default, choices, description, min, max, "
     "more_than, multiple_of)"),
    ("missing input", "layers: []\n", [], "1:1", "missing required key 'input'"),
    ("missing layers", "input: [3, 8, 8]\n", [], "1:1", "missing required key 'layers'"),
    ("missing required layer key", one("{kind: conv, kernel: 3}"), [], "3:5",
     "conv: missing required key 'out'"),
    ("layers not a list", "input: [3, 8, 8]\nlayers: {kind: conv}\n", [], "2:9",
     "'layers' must be a list of layers"),
    ("layer not a mapping", HEAD + "  - conv\n", [], "3:5",
     "a layer must be a mapping with a 'kind', got the text 'conv'"),
    ("layer without kind", one("{out: 8}"), [], "3:5", "layer has no 'kind'"),
    ("list where a number belongs", one("{kind: conv, out: [8]}"), [], "3:23",
     "'out' must be a number, got a list"),
    ("mapping where a number belongs", one("{kind: conv, out: {a: 1}}"), [], "3:23",
     "'out' must be a number, got a mapping"),
    ("text where a number belongs", one("{kind: conv, out: \"'wide'\"}"), [], "3:24",
     "'out' must be a number, got 'wide'"),
    ("boolean where a number belongs", one("{kind: conv, out: true}"), [], "3:23",
     "'out' must be a number, got true"),
    ("number where a boolean belongs", one("{kind: conv, out: 8, bn: 1}"), [], "3:30",
     "'bn' must be true or false, got 1"),
    ("misspelt choice", one("{kind: conv, out: 8, act: rleu}"), [], "3:31",
     "'act' must be one of none, relu, relu6, hswish, hsigmoid, sigmoid, swish; got 'rleu' "
     "(did you mean 'relu'?)"),
    ("input not a triple", "input: [3, 8]\nlayers: []\n", [], "1:8",
     "input must be [channels, height, width] or a mapping with channels and size"),
    ("float literal not finite", one("{kind: conv, out: .inf}"), [], "3:23",
     "number '.inf' is not finite"),
    ("huge integer literal", one("{kind: conv, out: " + "9" * 5000 + "}"), [], "3:23",
     "number '99999999999999999999...' has more than 1000 digits"),
    ("huge exponent", one("{kind: conv, out: 1.0e+999999999}"), [], "3:23",
     "number '1.0e+999999999' is out of range (numerator or denominator over 4096 bits)"),
    ("huge exponent in a description", "description: 1.0e+999999999\n" + NO_LAYERS, [], "1:14",
     "number '1.0e+999999999' is out of range"),
    ("5,000-digit hex integer", one("{kind: conv, out: 0x" + "f" * 5000 + "}"), [], "3:23",
     "number '0xffffffffffffffffff...' has more than 1000 digits"),
    ("YAML 1.1 octal", one("{kind: conv, out: 010}"), [], "3:23",
     "number '010' has a leading zero, which YAML 1.1 reads as octal 8: write it as a plain "
     "decimal"),
    ("YAML 1.1 base 60", one("{kind: conv, out: 1:00}"), [], "3:23",
     "number '1:00' is base 60 in YAML 1.1 (60): write it as a plain decimal"),
    ("400k-part base 60", one("{kind: conv, out: " + ":".join(["1"] * 400_000) + "}"), [],
     "3:23", "number '1:1:1:1:1:1:1:1:1:1:...' is base 60 in YAML 1.1: write it"),
    ("near-float literal above a max", "parameters:\n  a: {default: 4.0000000000000001, max: 4}\n"
     + NO_LAYERS, [], "2:6", "parameter 'a' must be at most 4, got 4.0000000000000001"),
    ("near-float literal not whole", one("{kind: conv, out: 8.0000000000000001}"), [], "3:23",
     "'out' must be a whole number, got 8.0000000000000001"),
    ("2M items at the size cap", "layers: [" + "1," * 1_990_000 + "1]\ninput: [3, 8, 8]\n", [],
     "1:200004", "document has more than 100000 values"),
    ("NUL byte", "name: a\0b\n" + NO_LAYERS, [], "1:8",
     "character U+0000 is not allowed in YAML text"),
    ("BEL byte", NO_LAYERS + "# \a\n", [], "3:3", "character U+0007 is not allowed in YAML text"),
    ("lone surrogate in a name", 'name: "\\ud800"\n' + NO_LAYERS, [], "1:7",
     "text contains \\ud800, half of a UTF-16 surrogate pair and not a character"),
    ("quote-broken deep flow", "input: [a '" + "[" * 5000 + "\nlayers: []\n", [], "1:12",
     "malformed YAML: expected ',' or ']', but got '['"),
    ("deep block nesting", "input:\n" + "".join("  " * i + "- \n" for i in range(70))
     + "layers: []\n", [], "65:127", "YAML nested deeper than 64 levels"),
    # --- sizes
    ("zero channels", one("{kind: conv, out: 0}"), [], "3:23", "'out' must be at least 1, got 0"),
    ("negative channels", one("{kind: conv, out: -8}"), [], "3:23",
     "'out' must be at least 1, got -8"),
    ("zero kernel", one("{kind: conv, out: 8, kernel: 0}"), [], "3:34",
     "'kernel' must be at least 1, got 0"),
    ("negative stride", one("{kind: conv, out: 8, stride: -2}"), [], "3:34",
     "'stride' must be at least 1, got -2"),
    ("zero input channels", "input: [0, 8, 8]\nlayers: []\n", [], "1:9",
     "'input channels' must be at least 1, got 0"),
    ("zero resolution", "input: [3, 0, 8]\nlayers: []\n", [], "1:12",
     "'input height' must be at least 1, got 0"),
    ("negative resolution", "input: {channels: 3, size: -224}\nlayers: []\n", [], "1:28",
     "'input height' must be at least 1, got -224"),
    ("fractional channels", one("{kind: conv, out: 2.5}"), [], "3:23",
     "'out' must be a whole number, got 2.5 (use round(), int() or make_divisible())"),
    ("kernel larger than padded input", one("{kind: conv, out: 8, kernel: 11, padding: 0}"),
     [], "3:5", "conv 'conv0': kernel 11 (span 11) is larger than the padded input 8: the "
     "spatial size would reach zero"),
    ("kernel larger with padding", one("{kind: conv, out: 8, kernel: 13, padding: 2}"), [],
     "3:5", "conv 'conv0': kernel 13 (span 13) is larger than the padded input 12"),
    ("spatial size reaches zero", one("{kind: maxpool, kernel: 2, repeat: 4}"), [], "3:5",
     "maxpool 'pool3': kernel 2 (span 2) is larger than the padded input 1: the spatial size "
     "would reach zero"),
    ("groups do not divide channels", one("{kind: conv, out: 8, groups: 2}"), [], "3:5",
     "conv 'conv0': groups=2 must divide input channels 3 and output channels 8"),
    ("residual add of different shapes",
     HEAD + "  - kind: residual\n    shortcut: identity\n    body: [{kind: conv, out: 8}]\n",
     [], "3:5", "residual 'block0': cannot add tensors of shapes 8x8x8 and 3x8x8"),
    ("parallel add of different shapes",
     HEAD + "  - {kind: parallel, merge: add, branches: [[{kind: pwconv, out: 4}], []]}\n",
     [], "3:5", "parallel 'block0': cannot add tensors of shapes 4x8x8 and 3x8x8"),
    ("concat of different sizes",
     HEAD + "  - kind: parallel\n    branches:\n      - [{kind: conv, out: 8, stride: 2}]\n"
     "      - [{kind: conv, out: 8}]\n", [], "3:5",
     "parallel 'block0': cannot concat tensors of shapes 8x4x4 and 8x8x8: heights and widths "
     "differ"),
    ("channel split larger than input", one("{kind: channel_split, parts: 4}"), [], "3:5",
     "channel_split 'split0': channel_split into 4 parts does not fit 3 channels"),
    ("linear on a spatial input", one("{kind: linear, out: 10}"), [], "3:5",
     "linear 'fc0': linear needs a flat input (1x1), got 3x8x8"),
    ("repeat beyond the limit", one("{kind: identity, repeat: 1000000}"), [], "3:30",
     "'repeat' is 1000000, more than the limit 10000 (costcalc.spec.walker.MAX_REPEAT; for "
     "more, repeat a block whose entry repeats: the layer limit COSTCALC_MAX_LAYERS bounds the "
     "product)"),
    ("input beyond the limit", "input: [3, 100000000000, 8]\nlayers: []\n", [], "1:12",
     "'input height' is 100000000000, more than the limit 1000000000"),
    ("channels beyond the limit", one("{kind: conv, out: 2000000000}"), [], "3:23",
     "'out' is 2000000000, more than the limit 1000000000"),
    ("too many layers",
     "input: [3, 8, 8]\nblocks:\n  ten: {layers: [{kind: identity, repeat: 10000}]}\n"
     "layers:\n  - {kind: ten, repeat: 11}\n", [], "3:18",
     "identity 'ten10.0': the model has more than 100000 layers"),
    ("empty blocks nested under repeat", _empty_blocks(4, 10_000), [], "4:17",
     "the model expands to more than 200000 layer and block instances"),
    ("block calls chained 1000 deep", _block_chain(1000), [], "903:19",
     "layers nested deeper than 100 levels (block calls, bodies and branches; "
     "limit costcalc.spec.walker.MAX_NESTING)"),
    ("residuals nested 400 deep", _nested_residuals(400), [], "65:129",
     "YAML nested deeper than 64 levels"),
    # --- kinds and blocks
    ("unknown kind", one("{kind: convv, out: 8}"), [], "3:12",
     "unknown layer kind 'convv' (did you mean 'conv'? valid: " + ", ".join(public_kinds()) + ")"),
    ("unknown kind inside a body",
     HEAD + "  - kind: residual\n    body:\n      - {kind: bnn}\n", [], "5:16",
     "unknown layer kind 'bnn' (did you mean 'bn'?"),
    ("block uses itself", "input: [3, 8, 8]\nblocks:\n  a: {layers: [{kind: a}]}\n"
     "layers: [{kind: a}]\n", [], "3:23", "block 'a' uses itself (a -> a)"),
    ("blocks use each other", "input: [3, 8, 8]\nblocks:\n  a: {layers: [{kind: b}]}\n"
     "  b: {layers: [{kind: residual, body: [{kind: a}]}]}\nlayers: [{kind: a}]\n", [], "4:47",
     "block 'a' uses itself (a -> b -> a)"),
    ("block missing its parameter", "input: [3, 8, 8]\nblocks:\n"
     "  unit: {parameters: {c: null}, layers: [{kind: pwconv, out: c}]}\nlayers:\n"
     "  - {kind: unit}\n", [], "5:5", "block 'unit' needs 'c'"),
    ("block named like a kind", "input: [3, 8, 8]\nblocks:\n  conv: {layers: []}\nlayers: []\n",
     [], "3:3", "block 'conv' has the name of a built-in layer kind"),
    # --- parameters and expressions
    ("parameter default out of range",
     "parameters: {alpha: {default: 0, more_than: 0}}\n" + NO_LAYERS, [], "1:21",
     "parameter 'alpha' must be more than 0, got 0"),
    ("parameter bound not a number",
     "parameters: {alpha: {default: 1, max: big}}\n" + NO_LAYERS, [], "1:39",
     "parameter 'alpha': max must be a number"),
    ("expression syntax error", one("{kind: conv, out: '8 *'}"), [], "3:27",
     "syntax error in expression '8 *'"),
    ("unclosed parenthesis", one("{kind: conv, out: 'max(8, 16'}"), [], "3:27",
     "syntax error in expression 'max(8, 16': '(' was never closed"),
    ("unknown name", "parameters: {alpha: 1}\n" + one("{kind: conv, out: '8 * alhpa'}"), [],
     "4:28", "unknown name 'alhpa' (did you mean 'alpha'?); known names: alpha, i, "
     "in_channels, in_height, in_width"),
    ("unknown name after spaces", one("{kind: conv, out: '  8 *  widht'}"), [], "3:31",
     "unknown name 'widht'"),
    ("unknown function", one("{kind: conv, out: 'cbrt(64)'}"), [], "3:24",
     "unknown function 'cbrt'; allowed: make_divisible, round, floor, ceil, int, sqrt, log, exp, "
     "min, max"),
    ("division by zero", one("{kind: conv, out: '8 // (in_channels - 3)'}"), [], "3:24",
     "division by zero"),
    ("division by zero in let", "let: {w: '1 / 0'}\n" + NO_LAYERS, [], "1:11", "division by zero"),
    ("not whole channels", one("{kind: conv, out: '16 / 3'}"), [], "3:24",
     "'out' must be a whole number, got 16/3 (use round(), int() or make_divisible())"),
    ("not whole channels from alpha", "parameters: {alpha: 0.35}\n"
     + one("{kind: conv, out: '10 * alpha'}"), [], "4:24",
     "'out' must be a whole number, got 3.5 "),
    ("huge power", one("{kind: conv, out: '9 ** 9 ** 9'}"), [], "3:24",
     "exponent larger than 64"),
    ("number too large", one("{kind: conv, out: '(10 ** 60) ** 60'}"), [], "3:24",
     "number too large"),
    # --- nothing runs
    ("python tag", "input: !!python/object/apply:os.system ['echo owned']\nlayers: []\n", [],
     "1:8", "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("python name tag", "input: !!python/name:os.system\nlayers: []\n", [], "1:8",
     "YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"),
    ("dunder import call", one("{kind: conv, out: \"__import__('os').system('true')\"}"), [],
     "3:24", "attribute access not allowed in an expression"),
    ("dunder name", one("{kind: conv, out: \"__import__('os')\"}"), [], "3:24",
     "name '__import__' is not allowed"),
    ("dunder attribute", one("{kind: conv, out: '(8).__class__'}"), [], "3:24",
     "attribute access not allowed in an expression"),
    ("subscript", one("{kind: conv, out: 'in_channels[0]'}"), [], "3:24",
     "subscripts not allowed in an expression"),
    ("lambda", one("{kind: conv, out: '(lambda: 8)()'}"), [], "3:25",
     "lambdas not allowed in an expression"),
    ("comprehension", one("{kind: conv, out: 'max([c for c in (1, 2)])'}"), [], "3:28",
     "comprehensions not allowed in an expression"),
    ("keyword argument", one("{kind: conv, out: 'round(8, ndigits=0)'}"), [], "3:33",
     "keyword arguments are not allowed"),
    # --- bad values from the command line, located where the value is used
    ("parameter makes a bad size", "parameters: {side: 8}\ninput: [3, side, side]\nlayers: []\n",
     ["--set", "side=1/2"], "2:12", "'input height' must be a whole number, got 0.5"),
]


def _one_line(result, expected: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected), f"\n{lines[0]}\n{expected}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case, text, args, where, message", SPEC_CASES,
                         ids=[c[0] for c in SPEC_CASES])
def test_spec_errors(tmp_path, monkeypatch, case, text, args, where, message):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(text, encoding="utf-8")
    expected = f"error: spec.yaml:{where}: {message}" if where else f"error: spec.yaml: {message}"
    report = runner.invoke(app, ["spec.yaml", *args])
    _one_line(report, expected)
    validate = runner.invoke(app, ["validate", "spec.yaml", *args])
    _one_line(validate, expected)
    assert validate.stderr == report.stderr


def _bytes_case(tmp_path: Path, name: str) -> str:
    if name == "directory":
        (tmp_path / "spec.yaml").mkdir()
    elif name == "not utf-8":
        (tmp_path / "spec.yaml").write_bytes(b"input: [3, 8, 8]\n# caf\xe9\nlayers: []\n")
    elif name == "utf-16":
        (tmp_path / "spec.yaml").write_bytes("input: [3, 8, 8]\n".encode("utf-16"))
    elif name == "unreadable (a file used as a folder)":
        (tmp_path / "file.yaml").write_text("input: [3, 8, 8]\nlayers: []\n")
        return "file.yaml/spec.yaml"
    return "spec.yaml"


# (id, expected message after "error: PATH")
FILE_CASES = [
    ("missing", ": no such file"),
    ("directory", ": is a directory, not a spec file"),
    ("not utf-8", ":2:6: file is not UTF-8 text (byte 0xe9)"),
    ("utf-16", ":1:1: file is not UTF-8 text (byte 0xff)"),
    ("unreadable (a file used as a folder)", ": cannot read file (Not a directory)"),
]


@pytest.mark.parametrize("case, message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
@pytest.mark.parametrize("command", [[], ["validate"]], ids=["report", "validate"])
def test_file_errors(tmp_path, monkeypatch, case, message, command):
    monkeypatch.chdir(tmp_path)
    path = _bytes_case(tmp_path, case)
    _one_line(runner.invoke(app, [*command, path]), f"error: {path}{message}")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text("input: [3, 8, 8]\nlayers: []\n")
    Path("spec.yaml").chmod(0)
    _one_line(runner.invoke(app, ["spec.yaml"]), "error: spec.yaml: cannot read file (Permission denied)")


# (id, arguments, whole expected message)
ZOO = ("mobilenet_v1, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small, "
       "mobilenet_v3_large_minimalistic, mobilenet_v3_small_minimalistic")
CLI_CASES = [
    ("unknown model", ["mobilenet_v22"],
     "unknown model 'mobilenet_v22' (did you mean 'mobilenet_v2', 'mobilenet_v1', "
     "'mobilenet_v3_small'?); zoo: " + ZOO),
    ("unknown parameter", ["v2", "--set", "alhpa=0.5"],
     "mobilenet_v2 has no parameter 'alhpa' (did you mean 'alpha'?); valid parameters: alpha, "
     "resolution, classes, t, flavor"),
    ("parameter the model lacks", ["v1", "--set", "t=6"],
     "mobilenet_v1 has no parameter 't'; valid parameters: alpha, resolution, classes"),
    ("--set without =", ["v2", "--set", "alpha"], "--set takes NAME=VALUE, got 'alpha'"),
    ("--set without a name", ["v2", "--set", "=0.5"], "--set takes NAME=VALUE, got '=0.5'"),
    ("--set without a value", ["v2", "--set", "alpha="], "--set takes NAME=VALUE, got 'alpha='"),
    ("alpha zero", ["v2", "--alpha", "0"], "parameter 'alpha' must be more than 0, got 0"),
    ("alpha negative", ["v1", "--alpha", "-0.5"], "parameter 'alpha' must be more than 0, got -0.5"),
    ("alpha absurd", ["v2", "--alpha", "1e9"],
     "parameter 'alpha' must be at most 8, got 1000000000"),
    ("alpha not a number", ["v2", "--alpha", "wide"], "parameter 'alpha' takes a number, got 'wide'"),
    ("alpha code", ["v2", "--alpha", "__import__('os')"],
     "parameter 'alpha' takes a number, got \"__import__('os')\""),
    ("resolution zero", ["v2", "--res", "0"], "parameter 'resolution' must be at least 1, got 0"),
    ("resolution absurd", ["v3", "--res", "10000000"],
     "parameter 'resolution' must be at most 100000, got 10000000"),
    ("choice not allowed", ["v2", "--set", "flavor=keras"],
     "parameter 'flavor' must be one of tf, torchvision; got 'keras'"),
    ("classes zero", ["v2", "--classes", "0"], "parameter 'classes' must be at least 1, got 0"),
    ("alpha a near-float above the max", ["v1", "--alpha", "8.0000000000000001"],
     "parameter 'alpha' must be at most 8, got 8.0000000000000001"),
    ("alpha exponent out of range", ["v2", "--alpha", "1e-99999"],
     "parameter 'alpha' takes a number, got '1e-99999': number '1e-99999' is out of range"),
    ("round with huge digits", ["v2", "--alpha", "round(1, 10**8)"],
     "parameter 'alpha' takes a number, got 'round(1, 10**8)': round(): more than"),
    ("denominator too large", ["v2", "--alpha", "(((1/3)**64)**64)**3"],
     "parameter 'alpha' takes a number, got '(((1/3)**64)**64)**3': number too large"),
]


@pytest.mark.parametrize("case, args, message", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_command_line_errors(case, args, message):
    _one_line(runner.invoke(app, args), f"error: {message}")
    # validate takes the same parameters and refuses them the same way
    if args[0] != "mobilenet_v22":
        _one_line(runner.invoke(app, ["validate", *args]), f"error: {message}")


def test_validate_reports_every_independent_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(
        "parametrs: {alpha: 1}\n"                                 # 1 unknown top-level key
        "parameters:\n"
        "  alpha: {default: 1, more_than: 0}\n"
        "  beta: {default: 0, more_than: 0}\n"                    # 4 bad default
        "let:\n"
        "  wide: 'beta * 2'\n"                                    # uses beta: not reported again
        "  bad: '8 / 0'\n"                                        # 7 division by zero
        "input: [3, 32, 32]\n"
        "blocks:\n"
        "  unit: {parameters: {c: null}, layers: [{kind: pwconv, out: c, bais: true}]}\n"  # 10
        "layers:\n"
        "  - {kind: conv, out: 8, kernel: 3, stride: 2}\n"
        "  - {kind: conv, out: true}\n"                           # 13
        "  - {kind: convv, out: 8}\n"                             # 14
        "  - {kind: unit, c: 16}\n"
        "  - {kind: conv, out: 'wide * 2'}\n"                     # depends on beta: silent
        "  - {kind: conv, out: '8 *', act: rleu}\n"               # 17 two problems
        "  - {kind: linear}\n",                                   # 18
        encoding="utf-8")
    result = runner.invoke(app, ["validate", "spec.yaml"])
    assert result.exit_code == 2 and result.stdout == ""
    where = [line.split(": ", 2)[1] for line in result.stderr.splitlines()]
    assert where == ["spec.yaml:1:1", "spec.yaml:4:9", "spec.yaml:7:9", "spec.yaml:10:65",
                     "spec.yaml:13:23", "spec.yaml:14:12", "spec.yaml:17:27", "spec.yaml:17:35",
                     "spec.yaml:18:5"], result.stderr
    # the report stops at the first of them
    first = runner.invoke(app, ["spec.yaml"])
    assert first.exit_code == 2 and first.stderr.splitlines() == result.stderr.splitlines()[:1]


def test_validate_reports_a_shape_error_after_static_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(HEAD + "  - {kind: conv, out: 8, groups: 2}\n"
                                 "  - {kind: conv, out: 8, kernel: 0}\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "spec.yaml"])
    assert result.stderr.splitlines() == [
        "error: spec.yaml:3:5: conv 'conv0': groups=2 must divide input channels 3 and output "
        "channels 8",
        "error: spec.yaml:4:34: 'kernel' must be at least 1, got 0"]


@pytest.mark.parametrize("model", ["v1", "v2", "v3-large", "v3-small", "vgg16", "resnet50"])
def test_validate_accepts_the_zoo(model):
    result = runner.invoke(app, ["validate", model, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert ",ok," in result.stdout


def test_a_real_process_prints_no_traceback(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(one("{kind: conv, out: [8]}"), encoding="utf-8")
    for args in ([str(spec)], ["validate", str(spec)], ["mobilenet_v9"]):
        out = subprocess.run([sys.executable, "-m", "costcalc", *args], capture_output=True,
                             text=True, env={**os.environ, "NO_COLOR": "1"})
        assert out.returncode == 2 and out.stdout == ""
        assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr
