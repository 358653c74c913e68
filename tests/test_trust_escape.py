"""User text is shown literally in every output: every command x every format with hostile
names, descriptions, choice values and profile names; output and input failures are one-line
errors; validate reports each problem once and as JSON.

Each hostile string is put in a spec (model name, description, a layer name, a text parameter
value) or a counting profile (name, description). The output must give the string back (after
undoing the format's escaping) and must have the structure of the same output for a plain name:
no extra lines, cells, rows or LaTeX commands, and no control character reaching the terminal.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cli_runner import runner
from costcalc.cli import app
from costcalc.render.controls import visible

HOSTILE = [
    "[/red]", "[b]x[/b]", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "\n\\input{/etc/passwd}",
    "|", "*", "`ls`", "<script>alert(1)</script>", "=1+1", "%", "&", "#", "_", "{}", "~", "^",
    "\\", ":smile:", "x\r\x07\u202ey", "=cmd|' /C calc'!A0", "+1-1", "@SUM(A1)", "-x",
    "[x](http://e)", "$x$", "] [", "\\\\[1em]", "\\write18{ls}", "*x* _y_ ~~z~~", "&amp; &#60;",
    "# heading", "1. item", "\x1b[31mred\x1b[0m", "a\tb", "\u2028\u2029", "snow \u2603",
]
PLAIN = "plain"
FORMATS = ["table", "json", "csv", "markdown", "latex"]


def layer_name(text: str) -> str:
    """``text`` as a layer name: names have no dots, and ``#`` stands for the repeat index."""
    return text if not set(text) & set(".#") and text.strip() else "named"


def spec_text(text: str) -> str:
    """A small spec carrying ``text`` in every free-text place the language has."""
    layer = layer_name(text)
    doc = {
        "name": text,
        "description": text,
        "parameters": {
            "alpha": {"default": 1, "more_than": 0, "max": 8, "description": text},
            "mode": {"default": text, "choices": [text, "other"]},
        },
        "input": [3, 32, 32],
        "layers": [
            {"name": layer, "kind": "conv", "out": "make_divisible(16 * alpha, 8)", "kernel": 3,
             "bn": True, "act": "relu"},
            {"kind": "depthwise_separable", "out": 16, "stride": 2},
            {"kind": "global_avg_pool"},
            {"kind": "linear", "out": 10},
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=False)


def profile_text(text: str) -> str:
    return yaml.safe_dump({"base": "paper", "name": text, "description": text,
                           "macs": {"bn": 2}}, allow_unicode=False)


# command name -> (arguments, where the hostile text is): {spec} and {profile} are file paths
COMMANDS = {
    "report": ["{spec}"],
    "report-depth0": ["report", "{spec}", "--depth", "0"],
    "report-depth1": ["report", "{spec}", "--depth", "1", "--memory"],
    "compare": ["compare", "{spec}", "v1"],
    "sweep": ["sweep", "{spec}", "--alpha", "0.5,1"],
    "memory": ["memory", "{spec}"],
    "formula": ["formula", "{spec}"],
    "solve": ["solve", "{spec}", "--macs", "1M"],
    "conventions": ["conventions", "{spec}", "-c", "{profile}"],
    "conventions-rules": ["conventions", "-c", "{profile}"],
    "validate": ["validate", "{spec}"],
    "ablate": ["ablate", "v1", "--only", "narrow-shallow", "-c", "{profile}"],
    "list": ["list", "-c", "{profile}"],
}


def invoke(tmp_path: Path, command: str, fmt: str, text: str, stderr: str = "") -> str:
    folder = tmp_path / ("benign" if text == PLAIN else "hostile")
    folder.mkdir(exist_ok=True)
    spec, profile = folder / "spec.yaml", folder / "profile.yaml"
    spec.write_text(spec_text(text), encoding="utf-8")
    profile.write_text(profile_text(text), encoding="utf-8")
    args = [a.format(spec=spec, profile=profile) for a in COMMANDS[command]] + ["-f", fmt]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr.strip() == stderr, result.stderr
    assert_terminal_safe(result.stderr)
    return result.stdout


# ------------------------------------------------------------------ undoing each format
def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


_LATEX_BACK = {r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\^{}": "^",
               r"\textless{}": "<", r"\textgreater{}": ">", r"\textbar{}": "|", "{[}": "[",
               "{]}": "]", "{*}": "*", r"\&": "&", r"\%": "%", r"\$": "$", r"\#": "#",
               r"\_": "_", r"\{": "{", r"\}": "}"}
_LATEX_TOKEN = re.compile("|".join(re.escape(k) for k in sorted(_LATEX_BACK, key=len,
                                                                  reverse=True)))
_CONTROL_WORD = re.compile(r"\\([A-Za-z]+|.)")


def latex_commands(text: str) -> set[str]:
    """The control sequences a LaTeX output uses, escapes of special characters left out."""
    return set(_CONTROL_WORD.findall(_LATEX_TOKEN.sub("", text)))


def shown(fmt: str, output: str) -> str:
    """What a reader of ``output`` sees as text: the format's escaping undone."""
    if fmt == "markdown":
        return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", output)
    if fmt == "latex":
        return _LATEX_TOKEN.sub(lambda m: _LATEX_BACK[m.group()], output)
    if fmt == "csv":
        cells = [cell for row in csv.reader(io.StringIO(output)) for cell in row]
        return "\n".join(cell[1:] if cell.startswith("'") else cell for cell in cells)
    return output


def structure(fmt: str, output: str):
    """What must not change when a name changes: lines, cells, records, LaTeX commands."""
    if fmt == "json":
        return None  # json.loads below checks it parses; its strings are data
    if fmt == "csv":
        return [len(row) for row in csv.reader(io.StringIO(output))]
    if fmt == "markdown":
        return [len(re.findall(r"(?<!\\)\|", line)) for line in output.splitlines()]
    if fmt == "latex":
        lines = output.splitlines()
        return len(lines), [line.startswith("%") for line in lines], \
            [len(re.findall(r"(?<!\\)&", line)) for line in lines]
    return len(output.splitlines())


def assert_terminal_safe(output: str) -> None:
    """No control character but newline reaches the terminal, in any format."""
    assert visible(output.replace("\n", "")) == output.replace("\n", ""), repr(output[:300])


# ------------------------------------------------------------------ every command x format
# Several hostile strings in one, each starting with something that matters at the start of a
# cell, a line or a row (a formula sign, "#", "[", "*", "\\[..]"), so that every command meets
# every string in a few runs.
COMPOSITE = [
    "\n\\input{/etc/passwd} [/red] =cmd|' /C calc'!A0 <script>alert(1)</script> \x1b]8;;http://x"
    "\x1b\\link\x1b]8;;\x1b\\",
    "=1+1 | * `ls` & % $x$ # _ {} ~ ^ \\ :smile: [b]x[/b]",
    "[x](http://e) \\write18{ls} x\r\x07\u202ey a\tb \u2028 \x1b[31mred\x1b[0m",
    "-x *x* _y_ ~~z~~ &amp; &#60; ] [",
    "# heading", "\\\\[1em] @SUM(A1)", "*", "+1-1",
    "1. item snow \u2603",  # (pdflatex has no glyph for the snowman: not compiled below)
]


def check_output(fmt: str, output: str, plain: str, text: str) -> None:
    """``output`` (for ``text``) has the structure of ``plain`` (for PLAIN) and shows ``text``."""
    assert_terminal_safe(output)
    if fmt == "json":
        assert (text in strings(json.loads(output))) == (PLAIN in strings(json.loads(plain)))
        return
    assert structure(fmt, output) == structure(fmt, plain), (text, output)
    if fmt == "latex":
        assert latex_commands(output) <= latex_commands(plain), (text, output)
    if PLAIN in shown(fmt, plain):
        seen = shown(fmt, output)
        assert visible(text) in seen or fmt == "csv" and visible(layer_name(text)) in seen, \
            (text, output)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_command_and_format_through_the_command_line(tmp_path, command, fmt):
    plain = invoke(tmp_path, command, fmt, PLAIN)
    assert_terminal_safe(plain)
    check_output(fmt, invoke(tmp_path, command, fmt, COMPOSITE[0]), plain, COMPOSITE[0])


def tables_of(tmp_path: Path, command: str, text: str, monkeypatch) -> list:
    """The Tables ``command`` renders for ``text`` (caught on their way to the renderer), built
    with the machine-readable content too (the table format alone does not read it)."""
    import costcalc.render
    from costcalc.render import terminal

    caught = []
    real = terminal.render

    def spy(table, **options):
        caught.append(table)
        return real(table, **options)

    with monkeypatch.context() as patch:
        patch.setattr(terminal, "render", spy)
        patch.setattr(costcalc.render, "reads_data", lambda fmt: True)
        invoke(tmp_path, command, "table", text)
    return caught


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_shows_hostile_text_literally_in_every_format(tmp_path, command,
                                                                     monkeypatch):
    from costcalc.render import render

    def outputs(text: str) -> dict[str, str]:
        tables = tables_of(tmp_path, command, text, monkeypatch)
        assert tables
        return {fmt: "".join(render(table, fmt, color=False) for table in tables)
                for fmt in FORMATS}

    plain = outputs(PLAIN)
    for text in COMPOSITE + (HOSTILE if command == "report" else []):
        for fmt, output in outputs(text).items():
            check_output(fmt, output, plain[fmt], text)


def test_formula_latex_document_shows_hostile_names_literally(tmp_path):
    plain = invoke(tmp_path, "formula", "latex", PLAIN)
    assert plain.startswith("% costcalc formula plain (paper convention) at ")
    for text in COMPOSITE:
        output = invoke(tmp_path, "formula", "latex", text)
        check_output("latex", output, plain, text)
        assert output.splitlines()[0].startswith("% costcalc formula ")


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "latex"])
def test_a_text_parameter_value_is_shown_literally_in_the_report_footer(tmp_path, fmt):
    for text in COMPOSITE:
        output = invoke(tmp_path, "report", fmt, text)
        if fmt == "csv":  # csv has no footer; the row names carry the text
            continue
        assert f"mode={visible(text)}" in shown(fmt, output), (text, output)


@pytest.mark.parametrize("text", ["=1+1", "+1-1", "-x", "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path, text):
    output = invoke(tmp_path, "report", "csv", text)
    cells = [cell for row in csv.reader(io.StringIO(output)) for cell in row]
    assert "'" + text in cells
    number = re.compile(r"[-+]?[\d./eE+-]+")
    formulas = [c for c in cells if c[:1] and c[0] in "=+-@" and not number.fullmatch(c)]
    assert formulas == []


def test_csv_keeps_numbers_numbers():
    output = runner.invoke(app, ["conventions", "v1", "-f", "csv"]).stdout
    assert "'" not in output.replace("'s", "")  # only text cells are ever prefixed


@pytest.mark.parametrize("command", ["report", "compare", "conventions", "sweep", "memory",
                                     "ablate", "list"])
def test_rich_terminal_reads_no_markup_and_passes_no_escape(tmp_path, command, monkeypatch):
    # colour on, for the tables and the sweep's progress bar on stderr
    monkeypatch.setattr("costcalc.render.terminal.use_color", lambda stream=None: True)
    progress = re.compile(r"\x1b\[\?25[lh]|\r|\x1b\[2K|\x1b\[1A")  # the progress bar's moves
    colours = re.compile(r"\x1b\[[0-9;]*m")  # rich's own

    def run(text: str) -> str:
        result = runner.invoke(app, [a.format(spec=folder / "spec.yaml",
                                              profile=folder / "profile.yaml")
                                     for a in COMMANDS[command]])
        assert result.exit_code == 0, result.stderr
        assert_terminal_safe(colours.sub("", progress.sub("", result.stderr)))
        return colours.sub("", result.stdout)

    folder = tmp_path
    for text in [PLAIN, *COMPOSITE]:
        (folder / "spec.yaml").write_text(spec_text(text), encoding="utf-8")
        (folder / "profile.yaml").write_text(profile_text(text), encoding="utf-8")
        output = run(text)
        assert_terminal_safe(output)
        if text == PLAIN:
            named = PLAIN in output
        elif named:
            assert visible(text) in output, (text, output)


@pytest.mark.parametrize("text", ["\x1b]8;;http://x\x1b\\", "\x1b[2J", "a\rb\x07"])
def test_errors_quoting_user_text_pass_no_control_character(tmp_path, text):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"name": text, "input": [3, 8, 8],
                                    "layers": [{"kind": text}]}), encoding="utf-8")
    for args in (["validate", str(spec)], [str(spec)], ["v1", "--set", f"alpha={text}"],
                 ["v1", "-c", text]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert_terminal_safe(result.stderr)


def test_show_output_is_a_spec_whatever_the_name(tmp_path):
    for text in COMPOSITE:
        spec = tmp_path / "spec.yaml"
        spec.write_text(spec_text(text), encoding="utf-8")
        shown_yaml = runner.invoke(app, ["show", str(spec)])
        assert shown_yaml.exit_code == 0, shown_yaml.stderr
        assert_terminal_safe(shown_yaml.stdout)
        assert yaml.safe_load(shown_yaml.stdout)["name"] == text  # the header stays a comment
        assert json.loads(runner.invoke(app, ["show", str(spec), "-f", "json"]).stdout)[
            "name"] == text


# ------------------------------------------------------------------ LaTeX compiles
PDFLATEX = shutil.which("pdflatex")
DOCUMENT = r"""\documentclass{article}
\usepackage[margin=1cm,paperwidth=60cm,paperheight=120cm]{geometry}
\usepackage{amsmath}
\usepackage{booktabs,longtable,graphicx}
\begin{document}
\input{part.tex}
\end{document}
"""


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (CI installs "
                    "texlive-latex-base and texlive-latex-recommended)")
@pytest.mark.parametrize("command", ["report", "formula", "conventions", "compare", "solve"])
def test_hostile_latex_compiles_without_reading_or_running_anything(tmp_path, command):
    # (each compile takes a while: all the strings for the report, two for the others)
    texts = COMPOSITE[:7] if command == "report" else [COMPOSITE[0], COMPOSITE[5]]
    for text in texts + ["\\write18{touch pwned}"]:
        (tmp_path / "part.tex").write_text(invoke(tmp_path, command, "latex", text),
                                           encoding="utf-8")
        (tmp_path / "doc.tex").write_text(DOCUMENT)
        result = subprocess.run([PDFLATEX, "-shell-escape", "-interaction=nonstopmode",
                                 "-halt-on-error", "doc.tex"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (text, result.stdout[-2000:])
        log = (tmp_path / "doc.log").read_text(errors="replace")
        assert "/etc/passwd" not in log and not (tmp_path / "pwned").exists()


# ------------------------------------------------------------------ output failures
def shell(command: str) -> subprocess.CompletedProcess:
    """``python -m costcalc`` under sh, so the test can close or redirect its stdout."""
    return subprocess.run(["sh", "-c", command.replace("costcalc", '"$0" -m costcalc'),
                           sys.executable], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", ["v1 -d 0", "--help", "--version", "v1 -f json",
                                  "show v1", "list"])
def test_a_full_disk_is_an_io_error(args):
    result = shell(f"costcalc {args} > /dev/full")
    assert result.returncode == 2
    assert result.stderr == "error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("args", ["v1 -d 0", "--help", "show v1", "validate v1"])
def test_a_closed_stdout_is_an_error(args):
    result = shell(f"costcalc {args} >&-")
    assert result.returncode == 2
    assert result.stderr == "error: cannot write the output: standard output is closed\n"


def test_a_read_only_stdout_is_an_io_error():
    result = shell("costcalc v1 -d 0 1</dev/null")
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot write the output: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", ["v3-large -f json", "sweep v2 --alpha 0.25,0.5,0.75,1 "
                                  "--res 96,128,160,192,224 -f json"])
def test_a_reader_that_leaves_early_gets_no_traceback(args):
    # the reader closes the pipe before costcalc writes: a broken pipe, said quietly
    result = shell(f"costcalc {args} | (exec 0<&-; sleep 0.2)")
    assert result.returncode == 0 and result.stderr == ""
    process = subprocess.Popen([sys.executable, "-m", "costcalc", *args.split()],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.read(1)
    process.stdout.close()
    assert process.stderr.read() == b"" and process.wait() in (0, 1)


# ------------------------------------------------------------------ validate
LET_TYPO = "parameters: {alpha: 1}\nlet: {w: \"alpah * 2\"}\ninput: [3, 8, 8]\n" \
           "layers:\n  - {kind: conv, out: w}\n"
AFTER_DUPLICATE = ("parameters: {alpha: 1}\ninput: [3, 8, 8]\nlayers:\n"
                   "  - {kind: conv, out: 8, kernel: 3, kernel: 5}\n"
                   "  - {kind: convv, out: 8}\n"
                   "  - {kind: conv, out: \"alpah\", strid: 2}\n")
# (id, spec, the problems validate reports: line:column and message)
VALIDATE_CASES = [
    ("let typo reported once", LET_TYPO,
     [("2:11", "unknown name 'alpah'", "did you mean 'alpha'?; known names: alpha")]),
    ("let using a shape name", LET_TYPO.replace("alpah", "in_channels"),
     [("2:11", "unknown name 'in_channels'", "known names: alpha")]),
    ("problems after a duplicate key", AFTER_DUPLICATE,
     [("4:37", "duplicate key 'kernel'", None),
      ("5:12", "unknown layer kind 'convv'", "did you mean 'conv'? valid: "),
      ("6:24", "unknown name 'alpah'", "did you mean 'alpha'?; known names: alpha, i, "),
      ("6:32", "conv: unknown key 'strid'", "did you mean 'stride'?; valid keys: ")]),
    ("duplicate keys only", "input: [3, 8, 8]\ninput: [3, 8, 8]\nlayers: []\nlayers: []\n",
     [("2:1", "duplicate key 'input'", None), ("4:1", "duplicate key 'layers'", None)]),
    # (YAML that does not parse has no keys to compare: the one problem is where it breaks)
    ("duplicate key in broken YAML", "input: [3, 8, 8]\ninput: [3]\nlayers: [\n",
     [("4:1", "malformed YAML: expected the node content, but found '<stream end>'", None)]),
]


@pytest.mark.parametrize("case, text, problems", VALIDATE_CASES,
                         ids=[c[0] for c in VALIDATE_CASES])
def test_validate_reports_each_problem_once_in_text_and_json(tmp_path, case, text, problems):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    lines = runner.invoke(app, ["validate", str(spec)])
    assert lines.exit_code == 2 and lines.stdout == ""
    assert len(lines.stderr.splitlines()) == len(problems), lines.stderr
    for (where, message, _), line in zip(problems, lines.stderr.splitlines()):
        assert line.startswith(f"error: {spec}:{where}: {message}"), line
    as_json = runner.invoke(app, ["validate", str(spec), "--format", "json"])
    assert as_json.exit_code == 2 and as_json.stderr == ""
    records = json.loads(as_json.stdout)
    assert [(f"{r['line']}:{r['column']}", r["message"]) for r in records] == \
        [(where, message) for where, message, _ in problems]
    for record, (_, _, hint) in zip(records, problems):
        assert set(record) == {"path", "line", "column", "message", "hint"}
        assert record["path"] == str(spec)
        assert (record["hint"] is None) if hint is None else record["hint"].startswith(hint)


@pytest.mark.parametrize("args, message", [
    (["v1", "--set", "bogus=1"], "mobilenet_v1 has no parameter 'bogus'"),
    (["no-such-model"], "unknown model 'no-such-model'"),
])
def test_validate_json_reports_usage_errors_too(args, message):
    result = runner.invoke(app, ["validate", *args, "--format", "json"])
    assert result.exit_code == 2 and result.stderr == ""
    [record] = json.loads(result.stdout)
    assert record["message"].startswith(message) and record["line"] is None


def test_validate_json_on_success_is_the_summary():
    result = runner.invoke(app, ["validate", "v1", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"][0]["status"] == "ok"


# ------------------------------------------------------------------ conventions
@pytest.mark.parametrize("bound", ["max: 100", "choices: [10, 100]", "max: 1000"])
def test_conventions_gives_every_row_it_can(tmp_path, bound):
    import costcalc

    spec = tmp_path / "small.yaml"
    spec.write_text(f"parameters:\n  classes: {{default: 10, {bound}}}\ninput: [3, 16, 16]\n"
                    "layers:\n  - {kind: conv, out: 8, kernel: 3, bn: true, act: relu}\n"
                    "  - {kind: global_avg_pool}\n  - {kind: linear, out: classes}\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["conventions", str(spec), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["convention"]: r for r in json.loads(result.stdout)["conventions"]}
    assert "not computed (it counts 1001 classes)" in rows["tf-slim"]["error"]
    assert "macs" not in rows["tf-slim"]
    from costcalc.costing.conventions import BUILT_IN

    assert list(rows) == list(BUILT_IN)
    for name, row in rows.items():
        if name != "tf-slim":
            assert row["macs"] == costcalc.analyze(str(spec), name).total.macs, name
    table = runner.invoke(app, ["conventions", str(spec)]).stdout
    assert "tf-slim: not computed (it counts 1001 classes): parameter 'classes'" in table
