"""costcalc performance benchmarks: each figure next to its floor measured in the same run.

Usage (from the repository root, with the project's virtualenv active)::

    python benchmarks/run.py            # all measurements, 7 repeats each
    python benchmarks/run.py -n 11      # more repeats
    python benchmarks/run.py --markdown # the table as Markdown (for the README)

The package is byte-compiled before measuring, as an installed wheel is (without that, an
environment with ``PYTHONDONTWRITEBYTECODE`` recompiles every costcalc module on every start).
Every time is the median of the repeats; ``cpu`` is user + system time of the same runs, which
moves less than wall time when the machine is busy. Measurements:

* cold start: the whole ``costcalc v2 --alpha 0.5 --res 160`` process (output to a pipe) against
  ``python -c "import typer, rich.console, rich.table, yaml"``, the libraries every CLI of this
  kind starts with. Runs alternate so both see the same load. Target: ratio <= 1.5.
* import: ``python -c "import costcalc"`` against ``python -c pass``; sympy must stay unloaded.
* sweep: exact totals of v3-large on a 100 x 100 alpha x resolution grid (``evaluate_grid``)
  against the naive loop (one graph build per point), timed on a 10 x 10 corner and scaled by
  100. Target: under 1 s.
* scale: a generated ResNet-style spec of 1,000 and 10,000 layers, parsed, built and counted,
  against reading the same YAML text with PyYAML (the floor of any tool that reads the file).
  Targets: 10k layers under 2 s, 10k / 1k at most 12.
* symbolic: v3-large's closed-form total (symbolic build on alpha and rho, sympy ``expand``) in a
  fresh process, against ``import sympy`` in that process. Target: under 1 s (sympy import not
  counted). ``costcalc.symbolic.derive`` (the ``formula`` command's work) is shown too.
* alternatives: a PyTorch counter (import torch + torchvision, build, one forward pass) is
  measured only if torch is importable; otherwise the figure quoted in issue #8 is shown.
"""
from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COSTCALC = [str(BIN / "costcalc")] if (BIN / "costcalc").exists() else [sys.executable, "-m",
                                                                        "costcalc"]
FLOOR_IMPORTS = "import typer, rich.console, rich.table, yaml"


# ----------------------------------------------------------------------------- timing helpers
def run_process(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (output discarded through a pipe)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, "NO_COLOR": "1"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def alternate(repeats: int, *commands: list[str]) -> list[tuple[list[float], list[float]]]:
    """Run the commands in turn ``repeats`` times (after one warm-up each): wall and CPU lists."""
    for argv in commands:
        run_process(argv)
    results = [([], []) for _ in commands]
    for _ in range(repeats):
        for argv, (walls, cpus) in zip(commands, results):
            wall, cpu = run_process(argv)
            walls.append(wall)
            cpus.append(cpu)
    return results


def timed(repeats: int, function, *args) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds of ``function(*args)`` in this process, ``repeats`` times."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function(*args)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return walls, cpus, result


def median(values: list[float]) -> float:
    return statistics.median(values)


# ----------------------------------------------------------------------------- measurements
class Row:
    """One line of the result table."""

    def __init__(self, name: str, costcalc: float | None, floor: float | None, floor_name: str,
                 target: str = "", ok: bool | None = None, cpu: float | None = None,
                 floor_cpu: float | None = None, note: str = ""):
        self.name, self.costcalc, self.floor, self.floor_name = name, costcalc, floor, floor_name
        self.target, self.ok, self.cpu, self.floor_cpu, self.note = target, ok, cpu, floor_cpu, note

    @property
    def ratio(self) -> float | None:
        if self.costcalc is None or not self.floor:
            return None
        return self.costcalc / self.floor


def cold_start(repeats: int) -> list[Row]:
    report = [*COSTCALC, "v2", "--alpha", "0.5", "--res", "160"]
    floor = [sys.executable, "-c", FLOOR_IMPORTS]
    bare = [sys.executable, "-c", "pass"]
    (cw, cc), (fw, fc), (bw, bc) = alternate(repeats, report, floor, bare)
    ratio = median(cw) / median(fw)
    rows = [Row("cold start: costcalc v2 --alpha 0.5 --res 160", median(cw), median(fw),
                f"python -c \"{FLOOR_IMPORTS}\"", "ratio <= 1.5", ratio <= 1.5, median(cc),
                median(fc)),
            Row("  python -c pass (interpreter start, for reference)", median(bw), None, "", "",
                None, median(bc))]
    return rows


def import_check(repeats: int) -> list[Row]:
    code = ("import costcalc, costcalc.cli, sys; "
            "assert 'sympy' not in sys.modules and 'pydantic' not in sys.modules")
    (iw, ic), (bw, bc) = alternate(repeats, [sys.executable, "-c", code],
                                   [sys.executable, "-c", "import typer"])
    return [Row("import costcalc + costcalc.cli (sympy, pydantic not loaded)", median(iw),
                median(bw), "python -c \"import typer\"", "no sympy", True, median(ic),
                median(bc))]


def sweep(repeats: int) -> list[Row]:
    from costcalc.costing import conventions
    from costcalc.costing import grid
    from costcalc.spec.document import load_file
    from costcalc.zoo import locate

    path = locate("v3-large")
    alphas = [f"{0.25 + 0.0175 * i:.4f}" for i in range(100)]
    resolutions = list(range(96, 296, 2))

    def fast():
        spec = load_file(path)  # a fresh spec: nothing cached from the previous repeat
        return grid.evaluate_grid(spec, {"alpha": alphas, "res": resolutions})

    def naive():
        spec = load_file(path)
        return grid.naive_grid(spec, {"alpha": alphas[::10], "res": resolutions[::10]}, {},
                               conventions.get("paper"))

    walls, cpus, results = timed(repeats, fast)
    n_walls, n_cpus, corner = timed(max(3, repeats // 2), naive)
    check = {(v["alpha"], v["resolution"]): t for v, t in results}
    assert all(check[(v["alpha"], v["resolution"])] == t for v, t in corner), "sweep differs"
    scale = len(results) / len(corner)
    return [Row("sweep: v3-large, 100 x 100 alpha x resolution, exact totals", median(walls),
                median(n_walls) * scale, "naive loop (10 x 10 corner, x100)", "< 1 s",
                median(walls) < 1.0, median(cpus), median(n_cpus) * scale)]


def deep_resnet_spec(layers: int) -> str:
    """A ResNet-style stack of basic blocks with about ``layers`` primitive layers (3 per block)."""
    lines = ["name: deep_resnet", "parameters:", "  width: {default: 64, min: 1}",
             "  resolution: {default: 224, min: 32}", "input: [3, resolution, resolution]",
             "blocks:", "  basic:", "    parameters: {out: null, stride: 1}", "    layers:",
             "      - kind: residual", "        stride: stride", "        act: relu",
             "        body:",
             "          - {kind: conv, out: out, kernel: 3, stride: stride, bn: true, act: relu}",
             "          - {kind: conv, out: out, kernel: 3, bn: true}",
             "layers:",
             "  - {name: stem, kind: conv, out: width, kernel: 7, stride: 2, bn: true, act: relu}",
             "  - {name: pool, kind: maxpool, kernel: 3, stride: 2, padding: 1}"]
    blocks = max(1, (layers - 4) // 3)
    for i in range(blocks):
        stage = i * 4 // blocks
        first = i > 0 and stage != (i - 1) * 4 // blocks
        lines.append(f"  - {{kind: basic, out: 'width * {2 ** stage}'"
                     + (", stride: 2}" if first else "}"))
    lines += ["  - {name: gap, kind: global_avg_pool}", "  - {name: fc, kind: linear, out: 1000}"]
    return "\n".join(lines) + "\n"


def scale(repeats: int) -> list[Row]:
    import yaml

    from costcalc.costing import conventions
    from costcalc.costing.report import Report
    from costcalc.spec.document import parse

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def analyse(text):
        spec = parse(text, "deep_resnet.yaml")
        values = spec.resolve()
        return Report.from_graph(spec.build(values), values, conventions.get("paper"))

    rows, medians, cpu_medians = [], {}, {}
    for layers in (1_000, 10_000):
        text = deep_resnet_spec(layers)
        walls, cpus, report = timed(repeats, analyse, text)
        f_walls, f_cpus, _ = timed(repeats, yaml.load, text, loader)
        medians[layers], cpu_medians[layers] = median(walls), median(cpus)
        target = "< 2 s" if layers == 10_000 else ""
        rows.append(Row(f"scale: {len(report.layers):,}-layer ResNet-style spec (parse, build, "
                        "count)", median(walls), median(f_walls),
                        f"yaml.load with {loader.__name__}", target,
                        median(walls) < 2.0 if target else None, median(cpus), median(f_cpus)))
    growth = medians[10_000] / medians[1_000]
    cpu_growth = cpu_medians[10_000] / cpu_medians[1_000]
    rows.append(Row("scale: growth 1k -> 10k layers (time ratio)", None, None, "", "<= 12x",
                    min(growth, cpu_growth) <= 12,
                    note=f"{growth:.1f}x (cpu {cpu_growth:.1f}x)"))
    return rows


SYMBOLIC = """
import sys, time
t0 = time.perf_counter(); c0 = time.process_time()
import sympy
t1 = time.perf_counter(); c1 = time.process_time()
from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.api import load
spec = load("v3-large")
values = spec.resolve()
alpha, rho = sympy.symbols("alpha rho", positive=True)
built = {**values, "alpha": alpha, "resolution": values["resolution"] * rho}
report = Report.from_graph(spec.build(built, symbolic=True), built, conventions.get("paper"))
macs = sympy.expand(report.total.macs)
params = sympy.expand(report.total.params)
t2 = time.perf_counter(); c2 = time.process_time()
derive = -1.0
try:
    from costcalc.symbolic.derive import derive as _derive
except ImportError:
    _derive = None
if _derive is not None:
    _derive(load("v3-large"))
    derive = time.perf_counter() - t2
print(t1 - t0, t2 - t1, c1 - c0, c2 - c1, derive)
"""


def symbolic(repeats: int) -> list[Row]:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", SYMBOLIC], capture_output=True, text=True,
                             check=True).stdout.split()
        runs.append([float(x) for x in out])
    imp, total, imp_cpu, total_cpu, derive = (median([r[i] for r in runs]) for i in range(5))
    rows = [Row("symbolic: v3-large total in alpha, rho (build + expand)", total, imp,
                "import sympy (same process)", "< 1 s", total < 1.0, total_cpu, imp_cpu)]
    if derive >= 0:
        rows.append(Row("  costcalc.symbolic.derive, right after (the formula command's work)",
                        derive, None, ""))
    return rows


def alternatives(repeats: int) -> list[Row]:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchvision") is None:
        return [Row("PyTorch counter (import torch+torchvision, build, forward): quoted, "
                    "not measured", None, None, "", note="2.5-3.5 s (issue #8; torch not "
                    "installed here)"),
                Row("onnx-tool on an exported ONNX file: quoted, not measured", None, None, "",
                    note="about 0.15 s (issue #8)")]
    code = ("import torch, torchvision; m = torchvision.models.mobilenet_v2(width_mult=0.5); "
            "m.eval(); m(torch.zeros(1, 3, 160, 160))")
    (walls, cpus), = alternate(max(3, repeats // 2), [sys.executable, "-c", code])
    return [Row("PyTorch: import torch+torchvision, build v2, one forward pass", median(walls),
                None, "", cpu=median(cpus))]


# ----------------------------------------------------------------------------- output
def _s(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def table(rows: list[Row], markdown: bool) -> str:
    header = ["measurement", "costcalc", "(cpu)", "floor", "(cpu)", "floor is", "ratio", "target",
              "met"]
    body = []
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else row.note
        met = "" if row.ok is None else ("yes" if row.ok else "NO")
        body.append([row.name, _s(row.costcalc), _s(row.cpu), _s(row.floor), _s(row.floor_cpu),
                     row.floor_name, ratio, row.target, met])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |"
                  for line in body]
        return "\n".join(lines)
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in body]
    return "\n".join(out)


MEASUREMENTS = {"cold": cold_start, "import": import_check, "sweep": sweep, "scale": scale,
                "symbolic": symbolic, "alternatives": alternatives}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--repeats", type=int, default=7, help="runs per measurement")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("only", nargs="*", choices=[[], *MEASUREMENTS], default=[],
                        help="measurements to run (default: all)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    # Byte-compile the package first, as ``pip install`` does: with PYTHONDONTWRITEBYTECODE set
    # (or sources edited since the last run) every process would otherwise recompile them.
    compileall.compile_dir(str(ROOT / "costcalc"), quiet=1)
    rows = []
    for name, measure in MEASUREMENTS.items():
        if not args.only or name in args.only:
            rows += measure(args.repeats)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; medians of {args.repeats} runs")
    print(table(rows, args.markdown))
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
