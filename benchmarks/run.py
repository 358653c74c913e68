"""costcalc performance benchmarks: every figure next to its floor, both measured in the same run.

Usage (from the repository root, with the project's virtualenv active)::

    python benchmarks/run.py                       # all default measurements, 7 paired runs
    python benchmarks/run.py -n 11 cold sweep      # some measurements, more runs
    python benchmarks/run.py --baseline /tmp/old   # also measure another source tree, paired
    python benchmarks/run.py --output result.json  # the machine-readable result file
    python benchmarks/run.py --markdown            # the table as Markdown (docs/performance.md)

``--baseline DIR`` names another checkout of costcalc (for instance ``git archive v0.3 | tar -x
-C /tmp/old``): each of its figures is measured in the same loop as the current tree's, so a
before/after pair sees the same machine load. Every figure is measured in a fresh process
(``PYTHONPATH`` = the tree), and every ratio comes from alternating runs: run i of the figure,
then run i of its floor, then run i+1 of each... Each cell is the median of the runs; ``cpu`` is
user + system time of the same runs, which moves much less than wall time on a busy machine, so
targets are checked on CPU time. Measurements:

* cold: the whole ``costcalc v2 --alpha 0.5 --res 160`` process against ``python -c "import
  yaml"`` (the job reads YAML and needs nothing else). Target: ratio <= 2.
* memory: ``costcalc memory v2`` (plain, no options), a whole process, same floor.
* sweep: exact totals of v3-large on a 100 x 100 alpha x resolution grid (``evaluate_grid``).
  Target: under 0.3 s.
* scale: a generated ResNet-style spec of 1,000 / 10,000 / 100,000 layers through the command
  line (``--depth 0`` and ``--format json``), peak memory beside the time; floor: reading the
  same YAML text with PyYAML's fastest loader. Targets: 100k at depth 0 under 3 s, as JSON under
  5 s, peak under 150 MB; growth 1k -> 10k at most 12x.
  Beside it, the naive loop (resolve, build and count at each of 50 points), the cost of one
  point when a sweep cannot be traced. The note gives the graph builds each grid needed.
* grid (not in the default set, a few seconds per run): a 1,000 x 1,000 exact grid through the
  Python API. Target: under 10 s.
* peers: the PyTorch counters (import torch + torchvision, build MobileNetV2 0.5, count with
  fvcore, ptflops, thop) and onnx-tool on an exported ONNX file, run with the interpreter of
  ``--peers-venv`` (default /work/xcheck-venv) when it has them; skipped with the reason
  otherwise. Beside them, in the same rounds: the main report, and ``costcalc model.onnx`` on
  the same exported file (cold, through the ONNX importer; needs onnx here).
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS_VENV = Path("/work/xcheck-venv")
SCALES = (1_000, 10_000, 100_000)
# The 100k-layer spec has a few layers over 100,000 and about 170,000 YAML values: over the
# default limits, so they are raised (a tree without these variables refuses it, as noted).
LIMITS = {"COSTCALC_MAX_LAYERS": "200000", "COSTCALC_MAX_VALUES": "1000000"}


# ----------------------------------------------------------------------------- the worker
def worker(out: str, kind: str, args: list[str]) -> None:
    """Run in a fresh process: do one piece of work, write its wall/CPU seconds and peak RSS."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    extra: dict = {}
    if kind == "cli":
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        from costcalc.cli import main

        wall0, cpu0 = time.perf_counter(), time.process_time()  # imports are not the work here
        sys.argv = ["costcalc", *args]
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
    elif kind in ("sweep", "grid", "build"):
        grid, load_file = _engine()
        from costcalc.zoo import locate

        n_alpha, n_res = {"sweep": (100, 100), "grid": (1000, 1000), "build": (50, 1)}[kind]
        alphas = [f"{0.25 + i * (1.75 / n_alpha):.4f}" for i in range(n_alpha)]
        resolutions = [96 + (200 * i) // n_res for i in range(n_res)]
        spec = load_file(locate("v3-large"))
        axes = {"alpha": alphas, "res": resolutions}
        wall0, cpu0 = time.perf_counter(), time.process_time()
        if kind == "build":  # the naive loop: resolve, build and count at every point
            result = grid.naive_grid(spec, axes, {}, _convention("paper"))
        else:
            result = grid.evaluate_grid(spec, axes)
        assert len(result) == n_alpha * n_res
        extra = {"builds": grid.STATS["builds"]}
    elif kind == "yaml":
        import yaml

        text = Path(args[0]).read_text()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        yaml.load(text, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    else:
        raise SystemExit(f"unknown worker {kind}")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(out).write_text(json.dumps({"wall": wall, "cpu": cpu, "rss": rss, **extra}))


def _engine():
    """The grid module and the spec loader, in this layout or the flat one before it (a
    ``--baseline`` tree may predate the subpackages)."""
    try:
        from costcalc.costing import grid
        from costcalc.spec.document import load_file
    except ImportError:
        from costcalc import grid
        from costcalc.spec import load_file
    return grid, load_file


def _convention(name: str):
    try:
        from costcalc.costing import conventions
    except ImportError:
        from costcalc import conventions
    return conventions.get(name)


# ----------------------------------------------------------------------------- running things
class Job:
    """One thing to time: a whole process (``argv``), or a worker inside a fresh process."""

    def __init__(self, label: str, argv: list[str], tree: Path | None = None,
                 worker: tuple[str, list[str]] | None = None, python: str = sys.executable,
                 env: dict[str, str] | None = None):
        self.label, self.argv, self.tree, self.worker, self.python = label, argv, tree, worker, python
        self.env = env or {}
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.rss: list[int] = []
        self.builds: list[int] = []

    def run(self, scratch: Path) -> None:
        env = {**os.environ, "NO_COLOR": "1", **self.env}
        if self.tree is not None:
            env["PYTHONPATH"] = str(self.tree)
        argv = self.argv
        if self.worker is not None:
            out = scratch / "worker.json"
            argv = [self.python, str(Path(__file__).resolve()), "--worker", str(out),
                    self.worker[0], *self.worker[1]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                              cwd=scratch)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{self.label}: {' '.join(argv)} failed:\n"
                             f"{done.stderr.decode()[-2000:]}")
        if self.worker is not None:
            figures = json.loads(out.read_text())
            self.walls.append(figures["wall"])
            self.cpus.append(figures["cpu"])
            self.rss.append(figures["rss"])
            if "builds" in figures:
                self.builds.append(figures["builds"])
        else:
            self.walls.append(wall)
            self.cpus.append((after.ru_utime - before.ru_utime)
                             + (after.ru_stime - before.ru_stime))

    def figures(self) -> dict:
        result = {"wall": statistics.median(self.walls), "cpu": statistics.median(self.cpus),
                  "runs": len(self.walls)}
        if self.rss:
            result["peak_rss"] = max(self.rss)
        if self.builds:
            result["builds"] = max(self.builds)
        return result


def alternate(repeats: int, jobs: list[Job], scratch: Path) -> None:
    """One warm-up each, then ``repeats`` rounds running every job once, in turn."""
    for job in jobs:
        job.run(scratch)
        job.walls.clear(), job.cpus.clear(), job.rss.clear(), job.builds.clear()
    for _ in range(repeats):
        for job in jobs:
            job.run(scratch)


# ----------------------------------------------------------------------------- measurements
class Row:
    """One line of the result table: a figure, its floor and the target checked on them."""

    def __init__(self, name: str, tree: str, job: Job | None, floor: Job | None = None,
                 target: str = "", check=None, note: str = ""):
        self.name, self.tree, self.job, self.floor = name, tree, job, floor
        self.target, self.check, self.note = target, check, note

    @property
    def ratio(self) -> float | None:
        if self.job is None or self.floor is None:
            return None
        return statistics.median(self.job.cpus) / statistics.median(self.floor.cpus)

    @property
    def ok(self) -> bool | None:
        return None if self.check is None else bool(self.check(self))

    def record(self) -> dict:
        return {"name": self.name, "tree": self.tree, "target": self.target, "ok": self.ok,
                "note": self.note, "figure": self.job.figures() if self.job else None,
                "floor": ({"name": self.floor.label, **self.floor.figures()}
                          if self.floor else None), "cpu_ratio": self.ratio}


def cpu(row: Row) -> float:
    return statistics.median(row.job.cpus)


def cpu_of(job: Job) -> float:
    return statistics.median(job.cpus)


def cold(trees: dict[str, Path], repeats: int, scratch: Path) -> list[Row]:
    python = sys.executable
    floors = {"yaml": Job('python -c "import yaml"', [python, "-c", "import yaml"]),
              "typer": Job('python -c "import typer, yaml"', [python, "-c", "import typer, yaml"]),
              "bare": Job("python -c pass", [python, "-c", "pass"])}
    main = {name: Job(f"costcalc v2 ({name})", [python, "-m", "costcalc", "v2", "--alpha", "0.5",
                                                  "--res", "160"], tree)
            for name, tree in trees.items()}
    memory = {name: Job(f"costcalc memory v2 ({name})", [python, "-m", "costcalc", "memory",
                                                         "v2"], tree)
              for name, tree in trees.items()}
    alternate(repeats, [*main.values(), *memory.values(), *floors.values()], scratch)
    rows = []
    for name in trees:
        rows.append(Row("cold: costcalc v2 --alpha 0.5 --res 160", name, main[name],
                        floors["yaml"], "cpu ratio <= 2", lambda r: r.ratio <= 2))
        rows.append(Row("cold: costcalc memory v2", name, memory[name], floors["yaml"]))
    rows.append(Row("floor: python -c \"import typer, yaml\"", "", floors["typer"],
                    floors["yaml"]))
    rows.append(Row("floor: python -c pass (interpreter start)", "", floors["bare"],
                    floors["yaml"]))
    return rows


def _builds(job: Job) -> str:
    return f"{max(job.builds)} graph builds" if job.builds else ""


def sweep(trees: dict[str, Path], repeats: int, scratch: Path) -> list[Row]:
    jobs = {name: Job(f"sweep ({name})", [], tree, ("sweep", [])) for name, tree in trees.items()}
    builds = {name: Job(f"naive points ({name})", [], tree, ("build", []))
              for name, tree in trees.items()}
    alternate(repeats, [*jobs.values(), *builds.values()], scratch)
    rows = [Row("sweep: v3-large 100 x 100 alpha x resolution, exact", name, job, None,
                "cpu < 0.3 s", lambda r: cpu(r) < 0.3, note=_builds(job))
            for name, job in jobs.items()]
    rows += [Row("sweep: v3-large naive loop, 50 points (resolve, build, count each)", name, job,
                 None, note=f"{cpu_of(job) / 50 * 1000:.2f} ms a point")
             for name, job in builds.items()]
    return rows


def grid(trees: dict[str, Path], repeats: int, scratch: Path) -> list[Row]:
    jobs = {name: Job(f"grid ({name})", [], tree, ("grid", [])) for name, tree in trees.items()}
    alternate(max(1, repeats // 3), list(jobs.values()), scratch)
    return [Row("grid: v3-large 1000 x 1000 alpha x resolution, exact (API)", name, job, None,
                "cpu < 10 s", lambda r: cpu(r) < 10,
                note=f"{_builds(job)}, peak {max(job.rss) / 2**20:.0f} MB")
            for name, job in jobs.items()]


def deep_resnet_spec(layers: int) -> str:
    """A ResNet-style stack of basic blocks with about ``layers`` primitive layers (3 per block),
    one line per block."""
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


def scale(trees: dict[str, Path], repeats: int, scratch: Path) -> list[Row]:
    # Limits of the larger inputs are raised where a tree has the options; a tree without them
    # is measured on what it accepts.
    rows = []
    paths = {}
    for layers in SCALES:
        paths[layers] = scratch / f"deep_{layers}.yaml"
        paths[layers].write_text(deep_resnet_spec(layers))
    floors = {n: Job(f"yaml.load {n:,} layers", [], None, ("yaml", [str(p)]))
              for n, p in paths.items()}
    jobs: dict[tuple, Job] = {}
    for name, tree in trees.items():
        for layers in SCALES:
            for fmt in ("depth0", "json"):
                args = [str(paths[layers]), "--depth", "0"] if fmt == "depth0" else \
                    [str(paths[layers]), "--format", "json"]
                job = Job(f"{layers} {fmt} ({name})", [], tree, ("cli", args), env=LIMITS)
                try:
                    job.run(scratch)  # refused (limits): left out, with the reason below
                    job.walls.clear(), job.cpus.clear(), job.rss.clear(), job.builds.clear()
                    jobs[(name, layers, fmt)] = job
                except SystemExit as exc:
                    said = [line for line in str(exc).splitlines() if "error:" in line]
                    rows.append(Row(f"scale: {layers:,} layers, {fmt}", name, None,
                                    note="refused: " + (said or ["(no message)"])[0][-90:]))
    small = [job for (n, layers, f), job in jobs.items() if layers < 100_000]
    big = [job for (n, layers, f), job in jobs.items() if layers == 100_000]
    alternate(repeats, [*small, *floors.values()], scratch)
    if big:
        alternate(max(1, repeats // 3), [*big, floors[100_000]], scratch)
    targets = {(100_000, "depth0"): ("cpu < 3 s", lambda r: cpu(r) < 3),
               (100_000, "json"): ("cpu < 5 s", lambda r: cpu(r) < 5)}
    for (name, layers, fmt), job in jobs.items():
        target, check = targets.get((layers, fmt), ("", None))
        rows.append(Row(f"scale: {layers:,} layers, {'--depth 0' if fmt == 'depth0' else 'json'}",
                        name, job, floors[layers], target, check,
                        note=f"peak {max(job.rss) / 2**20:.0f} MB"))
        if layers == 100_000:
            rows.append(Row(f"scale: {layers:,} layers, {fmt}, peak memory", name, job, None,
                            "peak < 150 MB", lambda r: max(r.job.rss) < 150 * 2**20,
                            note=f"{max(job.rss) / 2**20:.0f} MB"))
    for name in trees:
        one, ten = jobs.get((name, 1_000, "depth0")), jobs.get((name, 10_000, "depth0"))
        if one and ten:
            growth = statistics.median(ten.cpus) / statistics.median(one.cpus)
            rows.append(Row("scale: growth 1k -> 10k layers (cpu, depth 0)", name, None,
                            target="<= 12x", check=lambda r, g=growth: g <= 12,
                            note=f"{growth:.1f}x"))
    return rows


PEER_COUNTERS = """
import torch, torchvision
m = torchvision.models.mobilenet_v2(width_mult=0.5)
m.eval()
x = torch.zeros(1, 3, 160, 160)
from fvcore.nn import FlopCountAnalysis
FlopCountAnalysis(m, x).total()
from ptflops import get_model_complexity_info
get_model_complexity_info(m, (3, 160, 160), as_strings=False, print_per_layer_stat=False)
from thop import profile
profile(m, inputs=(x,), verbose=False)
"""
PEER_EXPORT = """
import sys, torch, torchvision
m = torchvision.models.mobilenet_v2(width_mult=0.5)
m.eval()
torch.onnx.export(m, torch.zeros(1, 3, 160, 160), sys.argv[1], dynamo=False)
"""
PEER_ONNX_TOOL = "import sys, onnx_tool; onnx_tool.model_profile(sys.argv[1])"


def peers(trees: dict[str, Path], repeats: int, scratch: Path, venv: Path = PEERS_VENV) -> list[Row]:
    python = venv / "bin" / "python"
    missing = "" if python.exists() else f"no interpreter at {python}"
    if not missing:
        probe = subprocess.run([str(python), "-c", "import torch, torchvision, fvcore, ptflops, "
                                "thop, onnx_tool"], capture_output=True, text=True)
        if probe.returncode:
            missing = f"{python} lacks a counter: {probe.stderr.strip().splitlines()[-1][:80]}"
    if missing:
        return [Row("peers: PyTorch counters, onnx-tool", "", None, note="skipped: " + missing)]
    onnx_file = scratch / "mobilenet_v2_050.onnx"
    subprocess.run([str(python), "-c", PEER_EXPORT, str(onnx_file)], check=True,
                   capture_output=True)
    counters = Job("torch + fvcore/ptflops/thop", [str(python), "-c", PEER_COUNTERS])
    onnx_tool = Job("onnx-tool", [str(python), "-c", PEER_ONNX_TOOL, str(onnx_file)])
    mine = {name: Job(f"costcalc v2 ({name})", [sys.executable, "-m", "costcalc", "v2",
                                                "--alpha", "0.5", "--res", "160"], tree)
            for name, tree in trees.items()}
    # the same exported file through costcalc's ONNX importer (needs onnx in this interpreter)
    has_onnx = subprocess.run([sys.executable, "-c", "import onnx"], capture_output=True)
    on_file = {name: Job(f"costcalc model.onnx ({name})", [sys.executable, "-m", "costcalc",
                                                          str(onnx_file)], tree)
               for name, tree in trees.items()} if has_onnx.returncode == 0 else {}
    alternate(max(2, repeats // 3), [counters, onnx_tool, *mine.values(), *on_file.values()],
              scratch)
    rows = [Row("peers: import torch+torchvision, MobileNetV2 0.5 @160, fvcore+ptflops+thop", "",
                counters, None),
            Row("peers: onnx-tool model_profile on the exported ONNX file", "", onnx_tool, None)]
    rows += [Row("peers: costcalc v2 --alpha 0.5 --res 160, same rounds", name, job, onnx_tool)
             for name, job in mine.items()]
    rows += [Row("peers: costcalc on the same exported ONNX file", name, job, onnx_tool)
             for name, job in on_file.items()]
    if not on_file:
        rows.append(Row("peers: costcalc on the same exported ONNX file", "", None,
                        note="skipped: onnx is not installed in this interpreter"))
    return rows


MEASUREMENTS = {"cold": cold, "sweep": sweep, "scale": scale, "grid": grid, "peers": peers}
DEFAULT = ("cold", "sweep", "scale", "peers")


# ----------------------------------------------------------------------------- output
def _s(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def table(rows: list[Row], markdown: bool) -> str:
    header = ["measurement", "tree", "wall", "cpu", "floor", "floor cpu", "cpu ratio", "target",
              "met", "note"]
    body = []
    for row in rows:
        job, floor = row.job, row.floor
        med = statistics.median
        body.append([row.name, row.tree, _s(med(job.walls)) if job else "",
                     _s(med(job.cpus)) if job else "", floor.label if floor else "",
                     _s(med(floor.cpus)) if floor else "",
                     f"{row.ratio:.2f}" if row.ratio is not None else "", row.target,
                     "" if row.ok is None else ("yes" if row.ok else "NO"), row.note])
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


def _commit(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "(not a git checkout)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[2], argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--repeats", type=int, default=7, help="paired runs per figure")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--baseline", type=Path, help="another costcalc source tree to measure "
                                                      "in the same runs ('before')")
    parser.add_argument("--output", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--peers-venv", type=Path, default=PEERS_VENV,
                        help="virtualenv with torch, torchvision, the counters and onnx-tool")
    parser.add_argument("only", nargs="*", choices=[[], *MEASUREMENTS], default=[],
                        help=f"measurements to run (default: {' '.join(DEFAULT)})")
    args = parser.parse_args(argv)
    trees = {"current": ROOT}
    if args.baseline:
        trees = {"before": args.baseline.resolve(), "after": ROOT}
    # Byte-compile first, as ``pip install`` does: with PYTHONDONTWRITEBYTECODE set (or sources
    # edited since the last run) every process would otherwise recompile every module.
    for tree in trees.values():
        compileall.compile_dir(str(tree / "costcalc"), quiet=1)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.only or DEFAULT:
            if name == "peers":
                rows += peers(trees, args.repeats, Path(scratch), args.peers_venv)
            else:
                rows += MEASUREMENTS[name](trees, args.repeats, Path(scratch))
    header = (f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.2f}; medians of {args.repeats} alternating runs")
    print(header)
    print(table(rows, args.markdown))
    if args.output:
        args.output.write_text(json.dumps({
            "python": sys.version.split()[0], "machine": platform.platform(),
            "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
            "repeats": args.repeats, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "trees": {name: {"path": str(tree), "commit": _commit(tree)}
                      for name, tree in trees.items()},
            "rows": [row.record() for row in rows]}, indent=1) + "\n")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
