"""Shell completion: models and spec files, conventions, ``--set`` parameters of the model given
earlier on the line, devices, element types and experiments, through click's completion API and
through the environment-variable protocol the installed scripts use."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer

from typer._completion_classes import BashComplete

from costcalc import zoo
from costcalc.cli.application import app
from costcalc.costing.conventions import CONVENTIONS
from costcalc.experiments.registry import EXPERIMENTS
from costcalc.cli.completion import experiment_names
from costcalc.latency.devices import shipped
from costcalc.memory.liveness import DTYPES

COMMAND = typer.main.get_command(app)
ZOO = list(zoo.MODELS) + list(zoo.ALIASES)


def complete(line: str) -> list[str]:
    """The values offered for the last word of ``line`` (a trailing space: a new word)."""
    words = line.split(" ")
    completer = BashComplete(COMMAND, {}, "costcalc", "_COSTCALC_COMPLETE")  # click's API
    return [c.value for c in completer.get_completions(words[:-1], words[-1])]


def v3_small_parameters() -> list[str]:
    from costcalc.spec.document import load_file

    return [f"{name}=" for name in load_file(zoo.locate("v3-small")).parameters]


def starting(names, prefix: str) -> list[str]:
    return [name for name in names if name.startswith(prefix)]


# (id, partial command line, the values offered, computed from the registries they come from)
CASES = [
    ("command-or-model", "v", ["validate"] + starting(ZOO, "v")),
    ("zoo-name", "report mobilenet_v3_s",
     ["mobilenet_v3_small", "mobilenet_v3_small_minimalistic"]),
    ("alias", "memory v3-s", ["v3-small", "v3-small-minimalistic"]),
    ("convention", "v2 --convention t", starting(CONVENTIONS, "t")),
    ("convention-short", "report v2 -c fv", starting(CONVENTIONS, "fv")),
    ("conventions-extra", "conventions v2 -c p", starting(CONVENTIONS, "p")),
    ("set-after-implicit-report", "v3-small --set ", v3_small_parameters()),
    ("set-prefix", "report v3-small --set fl", ["flavor="]),
    ("set-choice", "show v3-small --set flavor=", ["flavor=tf", "flavor=torchvision"]),
    ("set-short", "formula v1 -s al", ["alpha="]),
    ("set-sweep-axes", "sweep v1 --set res", ["resolution="]),
    ("set-compare-last-model", "compare v1 v3-small --set fl", ["flavor="]),
    ("set-without-model", "report --set ", []),
    ("set-unknown-model", "report nosuch.yaml --set ", []),
    ("variant-parameters", "compare v2:al", ["v2:alpha="]),
    ("variant-second-parameter", "compare v2:alpha=0.5,re", ["v2:alpha=0.5,resolution="]),
    ("device", "latency v1 --device pixel3-g", ["pixel3-gpu-tflite"]),
    ("device-of-compare", "compare v1 -D gtx", starting(shipped(), "gtx")),
    ("dtype", "memory v2 --dtype ", list(DTYPES)),
    ("latency-calibrate", "latency cal", ["calibrate"]),
    ("ablate-models", "ablate ", [m for m in ZOO if zoo.canonical(m) in
                                  {m for e in EXPERIMENTS.values() for m in e.models}]),
    ("experiment-of-model", "ablate v2 --only ",
     [e.name for e in EXPERIMENTS.values() if "mobilenet_v2" in e.models]),
    ("experiment-s", "ablate v1 --experiment s",
     starting(experiment_names(), "s")),
    ("symbols", "formula ssdlite_v2 --symbols ", ["classes", "anchors", "extra_width"]),
    ("symbols-after-comma", "formula ssdlite_v2 --symbols classes,a", ["classes,anchors"]),
    ("symbols-unknown-model", "formula nosuch.yaml --symbols ", []),
    ("proposals-then-set", "report frcnn_v1 --proposals 3 --set pro", ["proposals="]),
    ("experiment-detection", "ablate v2 --experiment d", ["detection"]),
    ("format-enum", "report v2 --format m", ["markdown"]),
    ("options", "schema --", ["--out", "--help"]),
]


@pytest.mark.parametrize("line,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_completion_offers(line, expected):
    assert complete(line) == expected


def test_spec_files_in_the_current_directory_are_offered(tmp_path, monkeypatch):
    for name in ("my_net.yaml", "my_net.onnx", "my_notes.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "my_dir.yaml").mkdir()
    monkeypatch.chdir(tmp_path)
    assert complete("report my_") == ["my_net.onnx", "my_net.yaml"]
    assert complete("my_") == ["my_net.onnx", "my_net.yaml"]
    assert complete("report sub/") == []  # a path: the shell completes it


def test_set_reads_the_parameters_of_a_spec_file(tmp_path, monkeypatch):
    (tmp_path / "net.yaml").write_text(
        "parameters:\n  width: {default: 8, choices: [8, 16]}\n  se: true\n"
        "input: [3, 8, 8]\nlayers: [{kind: conv, out: width}]\n")
    monkeypatch.chdir(tmp_path)
    assert complete("net.yaml --set ") == ["width=", "se="]
    assert complete("net.yaml --set width=") == ["width=8", "width=16"]
    assert complete("net.yaml --set se=") == ["se=true", "se=false"]


# ---------------------------------------------------------------------------- the protocol
def protocol(env: dict) -> subprocess.CompletedProcess:
    """``costcalc`` as the shell scripts call it: no arguments, the words in the environment."""
    return subprocess.run([sys.executable, "-c", "from costcalc.cli import main; main()"],
                          env={**os.environ, "_COSTCALC_COMPLETE": "", **env},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("words,cword,expected", [
    ("costcalc v2 --set al", 3, "alpha="),
    ("costcalc v2 --convention thop", 3, "thop"),
    ("costcalc v", 1, "v3-large"),
])
def test_bash_protocol_passes_through_the_fast_path(words, cword, expected):
    """``costcalc v2 ...`` is the fast path's job, except while completing (_COSTCALC_COMPLETE)."""
    result = protocol({"_COSTCALC_COMPLETE": "complete_bash", "COMP_WORDS": words,
                       "COMP_CWORD": str(cword)})
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout.split("\n") and "MACs" not in result.stdout


def test_zsh_protocol_gives_help_beside_values():
    result = protocol({"_COSTCALC_COMPLETE": "complete_zsh",
                       "_TYPER_COMPLETE_ARGS": "costcalc v3-small --set flavor="})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("_arguments") and '"flavor=torchvision"' in result.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_script(shell):
    result = subprocess.run([sys.executable, "-c", "from costcalc.cli import main; main()",
                             "--show-completion", shell], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "_COSTCALC_COMPLETE" in result.stdout


HOSTILE = ('parameters:\n  w: {default: 8, description: "[/x] boom [bold]b[/bold]"}\n'
           '  m: {default: a, choices: [a, "b c", "d\\ne", "[/x]"]}\n'
           'input: [3, 8, 8]\nlayers: [{kind: conv, out: w}]\n')


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_spec_text_is_shown_as_written_never_as_markup(tmp_path, monkeypatch, shell):
    """zsh and fish show help through rich: a spec's ``[/x]`` is text, not a markup error; a
    choice holding a space or a newline would break the one-value-per-line protocol."""
    from typer._completion_classes import FishComplete, ZshComplete

    (tmp_path / "evil.yaml").write_text(HOSTILE)
    (tmp_path / "two\nlines.yaml").write_text(HOSTILE)
    monkeypatch.chdir(tmp_path)
    completer = {"zsh": ZshComplete, "fish": FishComplete}[shell](
        COMMAND, {}, "costcalc", "_COSTCALC_COMPLETE")
    monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "costcalc evil.yaml --set ")
    assert "[/x] boom [bold]b[/bold]" in completer.complete()
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", "costcalc evil.yaml --set m=")
    offered = completer.complete()
    assert "m=a" in offered and "m=[/x]" in offered and "b c" not in offered \
        and "d\ne" not in offered
    assert complete("report ")[-1:] == ["evil.yaml"]  # the file with a newline is left out
