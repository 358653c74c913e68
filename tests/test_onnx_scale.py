"""Importing and reporting an ONNX graph does work linear in its nodes: a 500-node graph costs
about twice a 250-node one, counted as lines of costcalc code executed (not time, so the check
holds on a busy machine). Tables of graphs: named module paths as exporters write them, and
unnamed nodes of one op (every name then comes from the same base)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402

import costcalc  # noqa: E402
from costcalc.api import analyze, load  # noqa: E402
from costcalc.costing.report_table import report_table  # noqa: E402
from costcalc.render import render  # noqa: E402
from onnx_writer import write_graph  # noqa: E402

PACKAGE = str(Path(costcalc.__file__).resolve().parent)


def lines_run(work) -> int:
    """Lines of costcalc's own code executed by ``work()``."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def residual_net(blocks: int, tmp: Path) -> Path:
    """Residual blocks as a PyTorch export writes them (Conv, BatchNormalization, Relu, Add,
    named /block/node/Op): 7 ONNX nodes per block."""
    spec = tmp / f"net{blocks}.yaml"
    spec.write_text(
        "name: net\ninput: [8, 16, 16]\nblocks:\n  basic:\n    parameters: {}\n    layers:\n"
        "      - kind: residual\n        act: relu\n        body:\n"
        "          - {kind: conv, out: 8, kernel: 3, bn: true, act: relu}\n"
        "          - {kind: conv, out: 8, kernel: 3, bn: true}\n"
        f"layers:\n  - {{kind: basic, repeat: {blocks}}}\n")
    model = load(str(spec))
    return Path(write_graph(model.build(model.resolve()), tmp / f"net{blocks}.onnx"))


def unnamed_chain(nodes: int, tmp: Path) -> Path:
    """``nodes`` Relu nodes with no names: every layer name is made from the same base."""
    made, previous = [], "input"
    for i in range(nodes):
        made.append(helper.make_node("Relu", [previous], [f"t{i}"]))
        previous = f"t{i}"
    graph = helper.make_graph(
        made, "chain", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 8, 4, 4])],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, [1, 8, 4, 4])])
    path = tmp / f"chain{nodes}.onnx"
    path.write_bytes(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 15)]).SerializeToString())
    return path


def nodes_in(path: Path) -> int:
    return len(onnx.load(str(path), load_external_data=False).graph.node)


def report(path: Path) -> None:
    result = analyze(str(path))
    render(report_table(result, depth=2), "table")


@pytest.mark.parametrize("make, small, large", [
    (residual_net, 36, 72),      # 252 and 504 ONNX nodes
    (unnamed_chain, 250, 500),
])
def test_work_grows_linearly_with_the_nodes(make, small, large, tmp_path):
    little, big = make(small, tmp_path), make(large, tmp_path)
    assert nodes_in(big) >= 500 and nodes_in(big) == 2 * nodes_in(little)
    report(little)  # first use: imports and caches are not the graph's work
    ratio = lines_run(lambda: report(big)) / lines_run(lambda: report(little))
    assert ratio < 2.2, f"twice the nodes cost {ratio:.2f} times the work"
