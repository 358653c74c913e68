"""Every LaTeX output of every command compiles in a plain article (booktabs, amsmath, longtable,
graphicx) without errors, missing references or overfull boxes over 1 pt."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.cli_runner import run

PREAMBLE = r"""\documentclass{article}
\usepackage{booktabs,amsmath,longtable,graphicx}
\begin{document}
"""
COMMANDS = {
    "report_d0": ("v2", "-d", "0"),
    "report_d1": ("v2", "-d", "1"),
    "report_d2": ("v2", "-d", "2"),
    "report_v3_d2_memory": ("v3-large", "-d", "2", "-m", "--flops"),
    "report_exact": ("v1", "-d", "1", "--exact"),
    "report_label": ("v2", "-d", "1", "--caption", "MobileNet v2 at 0.5 & 160 px_x",
                     "--label", "tab:v2"),
    "compare": ("compare", "v1", "v2", "v3-large", "v3-small"),
    "sweep": ("sweep", "v1", "--alpha", "1,0.75,0.5,0.25", "--res", "224,128"),
    "conventions": ("conventions", "v2"),
    "memory": ("memory", "v2"),
    "memory_by_resolution": ("memory", "v1", "v2", "--by-resolution"),
    "list": ("list",),
    "formula_v1": ("formula", "v1"),
    "formula_v2": ("formula", "v2"),
    "solve": ("solve", "v2", "--macs", "150M", "--params", "2M"),
    "ablate": ("ablate", "v3-large", "--only", "last-stage"),
    "latency": ("latency", "v1", "--device", "pixel3-cpu4-tflite"),
}
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                               reason="pdflatex is not installed")
OVERFULL = re.compile(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)")


def compile_latex(body: str, directory) -> str:
    source = directory / "doc.tex"
    labels = re.findall(r"\\label\{([^}]*)\}", body)
    refs = "".join(rf"See Table~\ref{{{label}}}. " for label in labels)
    source.write_text(PREAMBLE + body + "\n" + refs + "\n\\end{document}\n", encoding="utf-8")
    for _ in range(2):  # twice: references resolve on the second run
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                               "doc.tex"], cwd=directory, capture_output=True, timeout=120)
    log = (directory / "doc.log").read_text(encoding="latin-1")
    assert done.returncode == 0, log[-3000:]
    return log


@needs_tex
@pytest.mark.parametrize("name", COMMANDS)
def test_latex_output_compiles_cleanly(name, tmp_path):
    body = run(*COMMANDS[name], "--format", "latex").stdout
    log = compile_latex(body, tmp_path)
    assert "! " not in log
    assert not re.search(r"Reference `[^']*' on page \d+ undefined", log), "missing \\ref target"
    bad = [float(x) for x in OVERFULL.findall(log) if float(x) > 1]
    assert not bad, f"overfull boxes: {bad}"
