"""The fast paths give what the reference paths give: ``costcalc MODEL`` without typer prints the
typer command's exact bytes, and libyaml composes the same located values (or the same error) as
the pure-Python loader. Plus import guards: no typer on the fast path."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import costcalc.graph.kinds
from costcalc.cli import app, fast
from costcalc.errors import SpecError
from costcalc.spec import source

CONFIGS = sorted(Path(__file__).resolve().parent.parent.joinpath("configs").glob("*.yaml"))
HOSTILE = Path(__file__).resolve().parent / "data" / "plot_hostile.yaml"

# Argument lists the fast path answers: its output must be typer's, byte for byte.
FAST = [
    ["v2", "--alpha", "0.5", "--res", "160"],
    ["report", "v2", "--alpha", "0.5", "--res", "160"],
    ["v2", "-a", "0.5", "-r", "160", "-f", "json"],
    ["v2", "--alpha=0.75", "--res=192", "--format=csv"],
    ["v3-small", "--depth", "1", "-m", "-e"],
    ["v3-large", "-d", "0", "--flops", "--format", "markdown"],
    ["v1", "--format", "latex", "--exact", "--classes", "10"],
    ["v2", "--set", "alpha=0.5", "-s", "resolution=128", "--convention", "fvcore"],
    ["v3-small", "-c", "calflops-flops", "--dtype", "fp16"],
    ["resnet18", "--memory", "--format", "json"],
    ["v2", "--alpha", "0.x"],                          # engine error: one line, exit 2
    ["v2", "--alpha", "0.5", "--set", "alpha=0.25"],   # given twice
    ["v2", "--convention", "nosuch"],
    ["no-such-model"],
    ["v2", "--dtype", "fp12"],
    ["v2", "--set", "noequals"],
    [str(HOSTILE), "--format", "markdown"],            # names needing escapes
    ["memory", "v2"],
    ["memory", "v2", "--dtype", "fp16", "-f", "json"],
    ["memory", "v3-small", "-a", "0.75", "--res=192", "--format", "markdown", "-e"],
    ["memory", "v1", "-t", "int8", "--format", "csv"],
    ["memory", "resnet18", "--format", "latex", "--classes", "10"],
    ["memory", "v2", "--set", "alpha=0.5", "-s", "resolution=128"],
    ["memory", "v2", "--dtype", "fp12"],               # engine errors, as for the report
    ["memory", "v2", "--alpha", "0.5", "--set", "alpha=0.25"],
    ["memory", "no-such-model"],
    ["memory", str(HOSTILE), "--format", "markdown"],
]
# Argument lists left to typer (help, other commands, spellings typer must check or word).
TYPER = [
    [], ["--help"], ["v2", "--help"], ["report", "--help"], ["v2", "v3-small"],
    ["v2", "--depth", "-1"], ["v2", "--depth", "x"], ["v2", "--format", "yaml"],
    ["v2", "--format", "JSON"], ["v2", "--alpha"], ["v2", "-a0.5"], ["v2", "-me"],
    ["v2", "--alpha", "0.5", "--alpha", "0.75"], ["v2", "--flops=1"], ["v2", "--nosuch"],
    ["--alpha", "0.5", "v2"], ["v2", "--", "x"], ["v2", "--format", "html"], ["-", "--depth", "0"],
    ["v2", "--alpha", " 0.5"], ["v2", "--alpha="],
    ["memory"], ["memory", "--help"], ["memory", "v2", "--help"], ["memory", "v1", "v2"],
    ["memory", "v2", "--split", "max"], ["memory", "v2", "--by-resolution"],
    ["memory", "v2", "--tradeoff"], ["memory", "v2", "--depth", "1"], ["memory", "v2", "-m"],
    ["memory", "v2", "-c", "fvcore"], ["memory", "v2", "--columns", "name"],
    ["memory", "v2", "--format", "html"], ["memory", "v2", "-t"], ["memory", "memory"],
]


def _fast(args, capsys):
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        fast.run(list(args))
    out, err = capsys.readouterr()
    return done.value.code, out, err


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_fast_report_is_byte_identical_to_typer(args, capsys):
    assert fast.parse(list(args)) is not None
    code, out, err = _fast(args, capsys)
    result = CliRunner().invoke(app, list(args))
    assert (code, out, err) == (result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("args", TYPER, ids=lambda a: " ".join(a) or "(none)")
def test_everything_else_goes_to_typer(args):
    assert fast.parse(list(args)) is None
    assert fast.run(list(args)) is False


def test_a_non_utf8_stdout_goes_to_typer(monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    assert fast.run(["v2"]) is False


@pytest.mark.parametrize("args", [["v2", "--alpha", "0.5", "--res", "160"], ["memory", "v2"]])
def test_no_typer_on_the_fast_path(args):
    code = ("import sys\nfrom costcalc.cli import main\n"
            f"sys.argv = ['costcalc', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "loaded = [m for m in ('typer', 'click', 'rich', 'pydantic', 'sympy') "
            "if m in sys.modules]\nassert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


# Modules the main report (a table to a pipe) must not load, each with why it would be loaded
# and what it costs: the start-up budget is twice `import yaml`.
NOT_ON_THE_MAIN_PATH = [
    ("pathlib", "file checks use os.path (pathlib pulls in urllib.parse and ipaddress)"),
    ("urllib", "through pathlib"),
    ("ipaddress", "through pathlib"),
    ("shutil", "the terminal width is asked only on a terminal (shutil loads bz2, lzma)"),
    ("bz2", "through shutil"),
    ("lzma", "through shutil"),
    ("textwrap", "footers wrap only on a narrow terminal"),
    ("difflib", "'did you mean' hints only on an error"),
    ("json", "the JSON renderer only for --format json"),
    ("csv", "the CSV renderer only for --format csv"),
    ("dataclasses", "records are plain classes (costcalc.records); dataclasses loads inspect"),
    ("inspect", "through dataclasses (inspect loads dis, tokenize, linecache)"),
    ("dis", "through inspect"),
    ("tokenize", "through inspect"),
    ("typing", "annotations only (TYPE_CHECKING); typing costs about 2 ms"),
    ("costcalc.importers.base", "the importer interface only for a model file (.onnx)"),
]


@pytest.mark.parametrize("args", [["v2", "--alpha", "0.5", "--res", "160"], ["v1", "--depth", "0"],
                                  ["v3-small", "-a", "0.75", "-m"], ["memory", "v2"]])
def test_the_main_report_loads_no_module_it_does_not_use(args):
    code = ("import sys\nfrom costcalc.cli import main\n"
            f"sys.argv = ['costcalc', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            f"loaded = [m for m in {[name for name, _ in NOT_ON_THE_MAIN_PATH]!r} "
            "if m in sys.modules]\nassert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


KIND_MODULES = """
import sys
from costcalc.cli import main
sys.argv = ['costcalc', *{args!r}]
try:
    main()
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(sorted(m.rpartition('.')[2] for m in sys.modules if m.startswith('costcalc.graph.kinds.')))
"""


def _kind_module_imports(module: str) -> set[str]:
    """The kind modules ``module`` imports (``from costcalc.graph.kinds import x`` and the like)."""
    path = Path(costcalc.graph.kinds.__file__).parent / f"{module}.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "costcalc.graph.kinds":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "costcalc.graph.kinds."):
            found.add(node.module.rpartition(".")[2])
    return found


@pytest.mark.parametrize("args", [["v2", "--alpha", "0.5", "--res", "160"], ["v3-small", "-m"],
                                  ["resnet18", "--depth", "0"], ["vit_b_16", "-f", "json"]])
def test_the_main_report_loads_the_modules_of_the_kinds_it_uses_only(args):
    """Kind modules load on first use: the model's kinds (node and block kinds) and what their
    modules import, nothing else."""
    from costcalc.api import load

    graph = load(args[0]).build()
    used = {node.kind for node in graph.nodes} | {block.kind for block in graph.blocks.values()}
    expected = {costcalc.graph.kinds.OTHER_NAMES.get(k, k) for k in used} & \
        set(costcalc.graph.kinds.MODULES)
    for module in sorted(expected):
        expected |= _kind_module_imports(module)
    result = subprocess.run([sys.executable, "-c", KIND_MODULES.format(args=args)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(ast.literal_eval(result.stdout.strip().splitlines()[-1]))
    assert loaded == expected
    assert len(loaded) < len(costcalc.graph.kinds.MODULES)


# ----------------------------------------------------------------------------- YAML
def _located(value):
    """A converted document with every position, as plain comparable data."""
    if isinstance(value, source.Mapping):
        return ("map", (value.pos.line, value.pos.column, value.pos.quoted),
                [(k, (value.key_pos[k].line, value.key_pos[k].column),
                  (value.value_pos[k].line, value.value_pos[k].column, value.value_pos[k].quoted),
                  _located(v)) for k, v in value.items()])
    if isinstance(value, source.Sequence):
        return ("seq", (value.pos.line, value.pos.column),
                [((p.line, p.column, p.quoted), _located(v))
                 for p, v in zip(value.item_pos, value)])
    return (type(value).__name__, value)


def _both(text, monkeypatch):
    results = []
    for fast_loader in (True, False):
        if not fast_loader:
            monkeypatch.setattr(source, "_CParser", None)
        try:
            results.append(_located(source.load(text, "t.yaml")))
        except SpecError as exc:
            results.append(("error", str(exc)))
    return results


@pytest.mark.skipif(source._CParser is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", [*CONFIGS, HOSTILE], ids=lambda p: p.name)
def test_libyaml_composes_the_same_located_values(path, monkeypatch):
    fast_result, pure = _both(path.read_text(encoding="utf-8"), monkeypatch)
    assert fast_result == pure


@pytest.mark.skipif(source._CParser is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("text", [
    "a: [1, 2\n", "a: {b: 1\n", "a: 'x\n", "a:\n\t- 1\n", "a: 1\n a: 2\n", "- a\nb: 1\n",
    "a: \"\\q\"\n", "a: \x07\n", "a: 1\nb: *x\n", "%YAML 2.0\n---\na: 1\n", "a: !!python/none x\n",
    "a: 1\na: 2\n", "a: 1e5\nb: 0x10\nc: 1_000\nd: .5\ne: 0.1\nf: -3\ng: '1'\n",
    "a: &x [1, 2]\nb: *x\n", "a: |\n  text\n  more\nb: >\n  folded\n", "? [a]\n: 1\n",
    "a: é  # ünïcode\nb: \"\\u00e9\"\n", "\ufeffa: 1\n", "a: 1\r\nb: 2\r\n", "[" * 70 + "]" * 70,
    "- " * 70 + "x\n", "a: " + "[1, " * 3 + "2" + "]" * 3 + "\n", "a: null\nb: ~\nc: true\nd: no\n",
    "a: 2001-12-14\n", "a: !!int 0.5\n", "a: !!binary aGk=\n", "a: x\n---\nb: y\n",
], ids=repr)
def test_libyaml_gives_the_same_values_and_errors(text, monkeypatch):
    fast_result, pure = _both(text, monkeypatch)
    assert fast_result == pure


@pytest.mark.skipif(source._CParser is None, reason="PyYAML built without libyaml")
def test_libyaml_keeps_the_node_bound(monkeypatch):
    text = "a: [" + ", ".join(["1"] * (source.MAX_NODES + 5)) + "]\n"
    fast_result, pure = _both(text, monkeypatch)
    assert fast_result == pure and "more than" in fast_result[1]


# ----------------------------------------------------------------------------- work per format
def _counting(monkeypatch, module, name, calls):
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


@pytest.mark.parametrize("fmt, wants_data, wants_rows", [
    ("table", False, True), ("csv", False, True), ("markdown", False, True),
    ("latex", False, True), ("json", True, False),
])
def test_report_builds_only_what_its_format_reads(fmt, wants_data, wants_rows, monkeypatch):
    from collections import Counter

    from costcalc.cli.report_output import report_text
    from costcalc.costing import report_table
    from costcalc.render import Format

    calls = Counter()
    _counting(monkeypatch, report_table, "report_data", calls)
    _counting(monkeypatch, report_table, "TableRow", calls)
    text = report_text("v2", "0.5", "160", None, None, "paper", 2, False, False, None,
                       Format(fmt), False)
    assert text
    assert (calls["report_data"] == 1) is wants_data and (calls["report_data"] == 0) is not wants_data
    assert (calls["TableRow"] > 0) is wants_rows


@pytest.mark.parametrize("args, split_runs", [
    (["memory", "v2"], 0), (["memory", "v2", "--format", "csv"], 0),
    (["memory", "v2", "--format", "json"], 1), (["memory", "v2", "--split", "max"], 1),
])
def test_plain_memory_runs_no_split_analysis(args, split_runs, monkeypatch):
    from collections import Counter

    from costcalc.memory import tables

    calls = Counter()
    _counting(monkeypatch, tables, "memory_data", calls)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert calls["memory_data"] == split_runs


def test_fast_path_knows_every_command_name():
    """A command name is never read as a model (``costcalc import`` alone is typer's error)."""
    from costcalc.cli.application import COMMANDS

    assert fast._COMMANDS == {name or function for _, function, name in COMMANDS} - {"report"}


@pytest.mark.parametrize("command", ["import", "schema", "validate"])
def test_a_command_name_alone_is_not_a_model(command):
    assert fast.parse([command]) is None
