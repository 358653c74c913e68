"""Specs are untrusted text: nothing in them runs, bombs are refused, and every count is exact.

Also: the same input gives byte-identical JSON, CSV and LaTeX on every run (fresh processes
with different hash seeds).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

import costcalc
from costcalc.spec import expr
from costcalc.cli import app
from costcalc.errors import SpecError
from costcalc.spec.document import parse

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


# ----------------------------------------------------------------------------- YAML


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!binary dG91Y2g=",
    "!!set {{a: null}}",
    "!custom {{kind: conv}}",
])
def test_yaml_tags_are_refused_and_nothing_runs(tmp_path, tag):
    marker = tmp_path / "ran"
    text = f"input: [3, 8, 8]\nlayers:\n  - kind: bn\n    repeat: {tag.format(marker=marker)}\n"
    with pytest.raises(SpecError) as caught:
        parse(text, "bad.yaml")
    assert str(caught.value).startswith("bad.yaml:4:13: YAML tag ")
    assert "is not allowed in a spec" in str(caught.value)
    assert not marker.exists()


def _laughs(levels: int, width: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\ninput: [3, 8, 8]\nlayers: []\n"


@pytest.mark.parametrize("levels, width", [(10, 9), (30, 2), (4, 60)])
def test_billion_laughs_is_refused_quickly_in_little_memory(levels, width):
    text = _laughs(levels, width)  # 9^10 = 3.5 billion strings when expanded
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        parse(text, "bomb.yaml")
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "document expands to more than 100000 values (alias/anchor bomb?)" in str(caught.value)
    assert str(caught.value).startswith("bomb.yaml:")
    assert elapsed < 1, elapsed
    assert peak < 50 * 2**20, peak


@pytest.mark.parametrize("text", [
    "input: " + "[" * 65 + "\nlayers: []\n",
    "input: " + "[" * 5000 + "]" * 5000 + "\nlayers: []\n",
    "input: " + "{a: " * 400_000 + "\nlayers: []\n",
    "input: " + "[{a: " * 3000 + "\nlayers: []\n",
    "input:\n  " + "- " * 5000 + "1\nlayers: []\n",       # block style
    "input:\n  " + "- " * 400_000 + "1\nlayers: []\n",
], ids=["flow 65", "flow 5000", "mappings 400000", "mixed 6000", "block 5000", "block 400000"])
def test_deep_nesting_is_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(SpecError, match="nested (too deeply|deeper than 64 levels)"):
        parse(text, "deep.yaml")
    assert time.perf_counter() - start < 1


def test_huge_file_is_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("input: [3, 8, 8]\nlayers: []\n" + "#" * 5_000_000 + "\n")
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {path}: file larger than 4000000 bytes (limit "
                             "COSTCALC_MAX_BYTES=4000000; set that environment variable higher "
                             "to accept more)\n")


# ----------------------------------------------------------------------------- expressions

CANARY = "costcalc_canary_touched"


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('touch /tmp/%s')" % CANARY, "attribute access not allowed"),
    ("__import__('os')", "name '__import__' is not allowed"),
    ("__builtins__", "name '__builtins__' is not allowed"),
    ("alpha.__class__.__mro__", "attribute access not allowed"),
    ("(1).__class__", "attribute access not allowed"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("exec('x = 1')", "unknown function 'exec'"),
    ("getattr(alpha, 'real')", "unknown function 'getattr'"),
    ("globals()", "unknown function 'globals'"),
    ("(lambda: 1)()", "lambdas not allowed"),
    ("[1, 2]", "lists not allowed"),
    ("alpha[0]", "subscripts not allowed"),
    ("{'a': 1}", "dicts not allowed"),
    ("(x := 3)", "assignments not allowed"),
    ("[c for c in (1,)]", "comprehensions not allowed"),
    ("f'{alpha}'", "f-strings not allowed"),
    ("max(*[1, 2])", "* arguments are not allowed"),
    ("round(x=1)", "keyword arguments are not allowed"),
    ("make_divisible.__globals__", "attribute access not allowed"),
    ("9 ** 9 ** 9", None),  # parses; refused when evaluated (exponent larger than 64)
    ("1" + "+1" * 600, "expression longer than 1000 characters"),
    ("(" * 50 + "1" + ")" * 50, "nested deeper than 40 levels"),
    ("-" * 100 + "1", "nested deeper than 40 levels"),
])
def test_expressions_outside_the_grammar_are_refused_before_running(text, message):
    if message is None:
        compiled = expr.compile_expression(text)
        with pytest.raises(expr.ExprError, match="exponent larger than 64"):
            compiled.evaluate({})
        return
    with pytest.raises(expr.ExprError, match=re.escape(message)):
        expr.compile_expression(text)
    assert not Path("/tmp", CANARY).exists()


def test_a_spec_expression_cannot_touch_the_file_system(tmp_path):
    marker = tmp_path / "owned"
    spec = tmp_path / "spec.yaml"
    spec.write_text("input: [3, 8, 8]\nlayers:\n"
                    f"  - {{kind: conv, out: \"__import__('os').system('touch {marker}')\"}}\n")
    for args in ([str(spec)], ["validate", str(spec)], ["v2", "--alpha", f"__import__('os').system('touch {marker}')"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.stdout == ""
    assert not marker.exists()


# ----------------------------------------------------------------------------- source scan

DANGEROUS = re.compile(
    r"(?<![\w.])(eval|exec)\s*\("          # builtins eval/exec (not _eval, not .evaluate)
    r"|\bparse_expr\s*\(|\bsympify\s*\(|\bS\s*\(\s*['\"]"
    r"|\byaml\.(load|unsafe_load|full_load|load_all)\s*\("
    r"|\b(Unsafe|Full)?Loader\s*=\s*yaml\.(Loader|UnsafeLoader|FullLoader)"
    r"|\bpickle\b|\bmarshal\b|\b__import__\s*\(|\bsubprocess\b|\bos\.system\b"
)
# sympify may only convert numbers and sympy expressions that the engine computed itself
# (never text): each allowed call site, by file and count, with what it converts.
SYMPIFY_ON_ENGINE_VALUES = {
    "symbolic/layers.py": 3,    # channel counts and sizes from the built symbolic graph
    "symbolic/solve.py": 1,     # report totals (sympy expressions)
    "symbolic/terms.py": 1,     # per-layer formula values
    "symbolic/derive.py": 1,    # a Python int, converted to a sympy Integer
    "symbolic/calculus.py": 1,  # report totals (sympy expressions)
}


def test_no_eval_exec_or_sympify_of_user_text_in_the_source():
    found: dict[str, int] = {}
    problems = []
    for path in sorted((ROOT / "costcalc").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for match in DANGEROUS.finditer(code):
                if match.group(0).startswith("sympify"):
                    key = path.relative_to(ROOT / "costcalc").as_posix()
                    found[key] = found.get(key, 0) + 1
                else:
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert problems == []
    extra = {name: n for name, n in found.items() if n > SYMPIFY_ON_ENGINE_VALUES.get(name, 0)}
    assert extra == {}, ("new sympify call sites: convert engine values only, never text, and "
                         "list them in SYMPIFY_ON_ENGINE_VALUES")


def test_sympify_never_sees_text_on_the_symbolic_path(monkeypatch):
    sympy = pytest.importorskip("sympy")
    real = sympy.sympify

    def guarded(value, *args, **kwargs):
        assert not isinstance(value, str), f"sympify of text {value!r}"
        return real(value, *args, **kwargs)

    monkeypatch.setattr(sympy, "sympify", guarded)
    for model in ("v1",):
        result = runner.invoke(app, ["formula", model, "--format", "json"])
        assert result.exit_code == 0, result.stderr


# ----------------------------------------------------------------------------- exactness

HUGE = """\
name: huge
input: [3, 100000, 100000]
layers:
  - {kind: conv, out: 32, kernel: 3, stride: 2}
  - {kind: dwconv, kernel: 3}
  - {kind: pwconv, out: 64}
  - {kind: global_avg_pool}
  - {kind: linear, out: 1000, bias: false}
"""
# Output side 50,000 (ceil(100000 / 2)), so 2,500,000,000 positions per channel.
#   conv     3*3 * 3 * 32 * 2.5e9  = 2,160,000,000,000
#   dwconv   3*3 * 32 * 2.5e9      =   720,000,000,000
#   pwconv   32 * 64 * 2.5e9       = 5,120,000,000,000
#   linear   64 * 1000             =            64,000
HUGE_MACS = 8_000_000_064_000
HUGE_PARAMS = 864 + 288 + 2048 + 64_000                       # 67,200
HUGE_ACTIVATIONS = (32 + 32 + 64) * 2_500_000_000 + 64 + 1000  # 320,000,001,064


def test_a_100000_by_100000_input_is_exact(tmp_path):
    report = costcalc.analyze(parse(HUGE, "huge.yaml"))
    assert [r.macs for r in report.layers] == [2_160_000_000_000, 720_000_000_000,
                                               5_120_000_000_000, 0, 64_000]
    assert (report.total.macs, report.total.params, report.total.activations) == \
        (HUGE_MACS, HUGE_PARAMS, HUGE_ACTIVATIONS)
    assert all(type(r.macs) is int and type(r.activations) is int for r in report.layers)
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE)
    data = json.loads(runner.invoke(app, [str(spec), "--format", "json"]).stdout)
    assert data["total"]["macs"] == HUGE_MACS  # a JSON integer, not 8.000000064e12
    for fmt in ("csv", "latex"):
        out = runner.invoke(app, [str(spec), "--format", fmt, "--exact"]).stdout
        assert "8000000064000" in out.replace(",", "").replace("{}", "").replace("\\,", "")


def test_a_trillion_mac_zoo_network_is_exact():
    # Every spatial size of MobileNet v1 scales by 256 from 224 to 57,344 = 224 * 256 (SAME
    # padding, even sizes), so its conv MACs scale by 256^2 = 65,536; the FC (1024 x 1000 =
    # 1,024,000 MACs after the global pool) does not. At 224: 568,740,352 MACs in total.
    #   (568,740,352 - 1,024,000) * 65,536 + 1,024,000 = 37,205,859,868,672
    report = costcalc.analyze("v1", resolution=57344)
    assert report.total.macs == 37_205_859_868_672
    assert report.total.params == 4_210_088  # parameters do not depend on resolution


def test_no_float_on_the_numeric_path():
    report = costcalc.analyze("v2", alpha="0.35", resolution=96)
    values = [v for r in report.layers for v in (r.macs, r.params, r.activations)]
    assert all(type(v) is int for v in values)
    for node in report.graph.nodes:
        assert all(type(v) is int for v in node.counts.values()), node.name


# ----------------------------------------------------------------------------- determinism


RUN_FORMATS = """
import sys
from typer.testing import CliRunner
from costcalc.cli import app
for fmt in ("json", "csv", "latex"):
    result = CliRunner().invoke(app, ["v3-small", "--alpha", "0.75", "--res", "160", "-f", fmt])
    sys.stdout.write(f"--- {fmt} {result.exit_code}\\n" + result.stdout)
"""


def test_output_is_byte_identical_across_runs():
    outputs = set()
    for seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", RUN_FORMATS], capture_output=True,
                             env={**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"},
                             check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
    text = outputs.pop().decode()
    for fmt in ("json", "csv", "latex"):
        assert f"--- {fmt} 0\n" in text
    assert len(text) > 3000
