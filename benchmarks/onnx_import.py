"""ONNX import benchmarks: a cold ``costcalc model.onnx`` next to onnx-tool on the same file, and
import time against graph size (it must grow no faster than linearly).

Usage (repository root, the project's virtualenv active, onnx installed)::

    python benchmarks/onnx_import.py          # 5 repeats each
    python benchmarks/onnx_import.py -n 9

The MobileNet v2 file is torchvision's export when torch is importable, otherwise the zoo's
MobileNet v2 written by the tests' ONNX writer (same ops: Conv, BatchNormalization, Clip, Add,
ReduceMean, Gemm). onnx-tool runs only when it is importable (in its own interpreter, as a
user would run it). Every time is the median of the repeats.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

ONNX_TOOL = ("import io, contextlib, sys, onnx_tool\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    m = onnx_tool.loadmodel(sys.argv[1], {'verbose': False})\n"
             "    g = m.graph; g.graph_reorder_nodes(); g.shape_infer(None)\n"
             "    g.profile(exclude_ops=onnx_tool.NoMacsOps)\n"
             "print(int(g.macs[0]), int(g.params))\n")


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env={**os.environ, "NO_COLOR": "1"})
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()[-2000:]}")
    return time.perf_counter() - start


def mobilenet_v2(folder: str) -> tuple[str, str]:
    path = os.path.join(folder, "mobilenet_v2.onnx")
    if importlib.util.find_spec("torch") and importlib.util.find_spec("torchvision"):
        import torchvision

        from costcalc.importers.torch_export import export

        export(torchvision.models.mobilenet_v2().eval(), (1, 3, 224, 224), path)
        return path, "torchvision export"
    from onnx_writer import write_graph

    from costcalc.api import load

    spec = load("v2")
    write_graph(spec.build(spec.resolve()), path)
    return path, "zoo graph written by tests/onnx_writer.py"


def chain(layers: int, path: str) -> str:
    """A plain chain of ``layers`` conv + BN + ReLU6 units (3 ONNX nodes each), 32 channels."""
    from costcalc.graph.builder import GraphBuilder
    from costcalc.graph.registry import Shape
    from onnx_writer import write_graph

    import costcalc.graph.kinds  # noqa: F401

    builder = GraphBuilder()
    x = builder.input(Shape(32, 28, 28))
    for index in range(layers):
        x = builder.call("conv", x, f"l{index}", out=32, bn=True, act="relu6")
    write_graph(builder.graph("chain", Shape(32, 28, 28)), path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="repeats (median)")
    repeats = parser.parse_args(argv).n
    import compileall

    compileall.compile_dir(str(ROOT / "costcalc"), quiet=1)  # as an installed wheel is
    costcalc = [sys.executable, "-m", "costcalc"]
    with tempfile.TemporaryDirectory() as folder:
        path, origin = mobilenet_v2(folder)
        print(f"MobileNet v2 ({origin}), {os.path.getsize(path):,} bytes")
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(wall(costcalc + [path]))
            if importlib.util.find_spec("onnx_tool"):
                theirs.append(wall([sys.executable, "-c", ONNX_TOOL, path]))
        print(f"  cold costcalc model.onnx   {statistics.median(ours):.3f} s")
        print(f"  cold onnx-tool profile     "
              + (f"{statistics.median(theirs):.3f} s" if theirs else "not installed"))
        from costcalc.api import load

        print("import time by graph size (conv + BN + ReLU6 units, 3 ONNX nodes each)")
        previous = None
        for layers in (125, 250, 500, 1000, 2000):
            file = chain(layers, os.path.join(folder, f"chain{layers}.onnx"))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                load(file).build({})
                times.append(time.perf_counter() - start)
            seconds = statistics.median(times)
            ratio = f"  x{seconds / previous:.2f} for x2 nodes" if previous else ""
            print(f"  {3 * layers:5d} nodes  {seconds:.3f} s{ratio}")
            previous = seconds
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
