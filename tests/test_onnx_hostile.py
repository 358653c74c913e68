"""Hostile ONNX files: each class of damage ends in one located line and exit code 2 (or a
consistent report), in bounded time and memory, and external data is never read.

Every case runs ``costcalc FILE`` in a forked child under CPU, wall-clock and memory limits
(tests/onnx_fuzz_cases.py). The derandomised fuzz cases at the end are the long run's generator
(scripts/onnx_fuzz.py) at fixed seeds.
"""
from __future__ import annotations

import random

import pytest

pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402

import onnx_fuzz_cases as fuzz  # noqa: E402
from test_onnx_import import stub  # noqa: E402

F = TensorProto.FLOAT
X = [1, 3, 8, 8]


def value(name, dims):
    return helper.make_tensor_value_info(name, F, dims)


def ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def model(nodes, inputs=(("x", X),), inits=(), opset=17, out="y", domains=()):
    graph = helper.make_graph(nodes, "g", [value(n, d) for n, d in inputs], [value(out, None)],
                              list(inits))
    opsets = [] if opset is None else [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, opset_imports=opsets).SerializeToString()


def node(op, inputs, outputs, name="n", **attrs):
    return helper.make_node(op, inputs, outputs, name=name, **attrs)


RELU = [node("Relu", ["x"], ["y"])]
BODY = helper.make_graph([node("Relu", ["a"], ["b"])], "body", [value("a", X)], [value("b", X)])


def nested_if(depth):
    body = BODY
    for _ in range(depth):
        body = helper.make_graph([node("If", ["c"], ["b"], then_branch=body, else_branch=BODY)],
                                 "body", [], [value("b", X)])
    return body


def mismatched(name, dims, values, dtype=TensorProto.INT64):
    """A tensor whose data holds another number of values than its dims say."""
    tensor = helper.make_tensor(name, dtype, [len(values)], values)
    tensor.dims[:] = dims
    return tensor


def external_const(location, dtype=F, values=(0.0,), dims=()):
    """A Constant whose value is stored in an external file at ``location``."""
    tensor = helper.make_tensor("v", dtype, list(dims), list(values))
    tensor.ClearField("float_data")
    tensor.ClearField("int64_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return tensor


def clip_external(location):
    return model([node("Constant", [], ["lo"], "k", value=external_const(location)),
                  node("Clip", ["x", "lo"], ["y"], "clip")])


# (id, file bytes, a fragment of the one error line)
CASES = [
    ("not-onnx", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an ONNX model"),
    ("truncated", model([node("Conv", ["x", "w"], ["y"])], inits=[stub("w", [8, 3, 3, 3])])[:-7],
     "not an ONNX model"),
    ("empty-graph", helper.make_model(helper.make_graph([], "g", [value("x", X)],
                                                        [value("x", X)])).SerializeToString(),
     "no graph nodes"),
    ("cycle", model([node("Relu", ["b"], ["a"], "r1"), node("Relu", ["a"], ["b"], "r2"),
                     node("Add", ["x", "b"], ["y"], "add")]),
     "Relu node 'r1' reads 'b' before Relu node 'r2' writes it (a cycle"),
    ("out-of-order", model([node("Relu", ["a"], ["y"], "second"), node("Relu", ["x"], ["a"], "first")]),
     "Relu node 'second' reads 'a' before Relu node 'first' writes it"),
    ("undefined-input", model([node("Add", ["x", "nothing"], ["y"], "add")]),
     "Add node 'add' reads 'nothing', which no graph input, initializer or node defines"),
    ("only-undefined-input", model([node("Relu", ["x"], ["a"], "r"),
                                    node("Conv", ["ghost", "w"], ["y"], "c")],
                                   inits=[stub("w", [8, 3, 1, 1])]),
     "Conv node 'c' reads 'ghost'"),
    ("duplicate-output", model([node("Relu", ["x"], ["y"], "a"), node("Relu", ["x"], ["y"], "b")]),
     "'y' is written by Relu node 'b' and already by Relu node 'a'"),
    ("output-overwrites-input", model([node("Relu", ["x"], ["x"], "a"),
                                       node("Relu", ["x"], ["y"], "b")]),
     "'x' is written by Relu node 'a' and already by a graph input"),
    ("output-overwrites-initializer", model([node("Relu", ["x"], ["w"], "a"),
                                             node("Relu", ["w"], ["y"], "b")],
                                            inits=[stub("w", X)]),
     "'w' is written by Relu node 'a' and already by an initializer"),
    ("graph-output-undefined", model(RELU, out="elsewhere"),
     "graph output 'elsewhere' is computed by no node"),
    ("channels-1e12", model([node("Conv", ["x", "w"], ["y"], "c")], inits=[stub("w", [10**12, 3, 1, 1])]),
     "output channels 1000000000000 beyond the limit 1000000000"),
    ("input-1e12", model(RELU, inputs=[("x", [1, 10**12, 8, 8])]),
     "output channels 1000000000000 beyond the limit"),
    ("reshape-huge", model([node("Reshape", ["x", "s"], ["y"], "r")], inits=[ints("s", [1, 10**12, 1, 1])]),
     "beyond the limit"),
    ("expand-huge", model([node("Expand", ["x", "s"], ["y"], "e")], inputs=[("x", [1, 3, 1, 1])],
                          inits=[ints("s", [1, 3, 10**9, 10**9])]),
     "Expand node 'e'"),
    ("tile-huge", model([node("Tile", ["x", "s"], ["y"], "t")], inits=[ints("s", [1, 1, 10**9, 10**9])]),
     "Tile node 't'"),
    ("constant-of-shape-huge", model([node("ConstantOfShape", ["s"], ["c"], "k"),
                                      node("Add", ["x", "c"], ["y"], "a")],
                                     inputs=[("x", [1, 3, 1, 1])], inits=[ints("s", [1, 3, 10**10, 10**10])]),
     "output height 10000000000 beyond the limit"),
    ("resize-1e9", model([node("Resize", ["x", "", "sc"], ["y"], "up", mode="nearest")],
                         inits=[helper.make_tensor("sc", F, [4], [1, 1, 1e9, 1e9])]),
     "output height 8000000000 beyond the limit"),
    ("negative-dim", model(RELU, inputs=[("x", [1, -3, 8, 8])]), "input 'x' of shape [1, -3, 8, 8]"),
    ("zero-dim", model(RELU, inputs=[("x", [1, 0, 8, 8])]), "input 'x' of shape [1, 0, 8, 8]"),
    ("zero-channels-conv", model([node("Conv", ["x", "w"], ["y"], "c")], inits=[stub("w", [0, 3, 1, 1])]),
     "output channels would be 0"),
    ("zero-size-slice", model([node("Slice", ["x", "b", "e", "a"], ["y"], "s")],
                              inits=[ints("b", [5]), ints("e", [10]), ints("a", [1])]),
     "Slice node 's' (opset 17): output shape [1, 0, 8, 8] not inferred as a batch-1 tensor"),
    ("symbolic-dims", model(RELU, inputs=[("x", [1, "C", "H", "W"])]),
     "input 'x' has symbolic dimensions 1xCxHxW: give --input"),
    ("huge-attribute-list", model([node("Conv", ["x", "w"], ["y"], "c", strides=[1] * 200_000)],
                                  inits=[stub("w", [8, 3, 1, 1])]),
     "(op_type:Conv, node name: c): [ShapeInferenceError] Attribute strides has incorrect size"),
    ("if", model([node("If", ["x"], ["y"], "branch", then_branch=BODY, else_branch=BODY)]),
     "If node 'branch' holds a subgraph ('else_branch'): control flow (If, Loop, Scan) is not counted"),
    ("loop", model([node("Loop", ["", "", "x"], ["y"], "loop", body=BODY)]),
     "Loop node 'loop' holds a subgraph ('body')"),
    ("scan", model([node("Scan", ["x"], ["y"], "scan", body=BODY, num_scan_inputs=1)]),
     "Scan node 'scan' holds a subgraph"),
    ("if-nested-30", model([node("If", ["x"], ["y"], "deep", then_branch=nested_if(30),
                                 else_branch=BODY)]),
     "If node 'deep' holds a subgraph"),
    ("subgraph-on-relu", model([node("Relu", ["x"], ["y"], "r", body=BODY)]),
     "Relu node 'r' holds a subgraph ('body')"),
    ("opset-absent", model(RELU, opset=None), "the file imports no opset of the ONNX domain"),
    ("opset-future", model(RELU, opset=99), "opset 99: the installed onnx package knows opsets 1 to"),
    ("opset-zero", model(RELU, opset=0), "opset 0:"),
    ("custom-domain", model([node("Foo", ["x"], ["y"], "f", domain="com.example")],
                            domains=["com.example"]),
     "Foo node 'f' is in the op domain 'com.example': only ops of the ONNX domain"),
    ("ml-domain", model([node("Normalizer", ["x"], ["y"], "norm", domain="ai.onnx.ml")],
                        domains=["ai.onnx.ml"]),
     "in the op domain 'ai.onnx.ml'"),
    ("long-name", model([node("Relu", ["x"], ["a"], "r"), node("Add", ["a", "z" * 100_000], ["y"], "add")]),
     "reads '" + "z" * 80 + "...'"),
    ("module-levels", model([node("Relu", ["x"], ["a"], "/" + "/".join("m" * 33) + "/Relu"),
                             node("Relu", ["a"], ["y"], "r")]),
     "a node name nesting 34 module levels, more than the limit 32"),
    ("module-levels-dots", model([node("Relu", ["x"], ["y"], "/m" + "." * 40 + "/Relu")]),
     "a node name nesting 42 module levels"),
    ("node-name-length", model([node("Relu", ["x"], ["y"], "/" + "n" * 5000 + "/Relu")]),
     "a node name of 5006 characters, more than the limit 4096"),
    ("data-not-matching-dims", model([node("Reshape", ["x", "s"], ["y"], "r")],
                                     inits=[mismatched("s", [4], [1, 192])]),
     "Data size mismatch. Tensor: s expected num elements 4"),
    ("bound-not-matching-dims", model([node("Clip", ["x", "lo"], ["y"], "clip")],
                                      inits=[mismatched("lo", [], [0.0, 6.0], F)]),
     "tensor 'lo' of dims []: its data does not match"),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile")
    fuzz.prepare(str(path))
    return str(path)


@pytest.mark.parametrize("data,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_file_is_one_located_line(workdir, data, fragment):
    assert fuzz.judge(data, workdir) == "error"
    _, _, err = fuzz.run_limited([f"{workdir}/case.onnx"], workdir)
    assert err.startswith(f"error: {workdir}/case.onnx: ") and fragment in err, err


# --allow-unknown makes rows of unknown ops: their shapes meet the same limits, at the node
@pytest.mark.parametrize("data,fragment", [
    (model([node("Tile", ["x", "s"], ["y"], "t")], inits=[ints("s", [1, 1, 10**9, 10**9])]),
     "Tile node 't' (opset 17): unknown 't': output height 8000000000 beyond the limit"),
    (model([node("Expand", ["x", "s"], ["y"], "e")], inputs=[("x", [1, 1, 1, 1])],
           inits=[ints("s", [1, 10**10, 1, 1])]),
     "Expand node 'e' (opset 17): unknown 'e': output channels 10000000000 beyond the limit"),
], ids=["tile", "expand"])
def test_unknown_ops_meet_the_limits_at_their_node(workdir, data, fragment):
    assert fuzz.judge(data, workdir, args=("--allow-unknown",)) == "error"
    _, _, err = fuzz.run_limited([f"{workdir}/case.onnx", "--allow-unknown"], workdir)
    assert err.startswith(f"error: {workdir}/case.onnx: ") and fragment in err, err


# External data named by the file: a pipe (reading it would block), a device (endless), a
# readable file next to the model, absolute and escaping paths. Never opened: a tensor whose
# value lives there is unknown, so Clip's bound is not read as 0 (no silent ReLU).
@pytest.mark.parametrize("location", ["fifo", "/dev/zero", "secret.bin", "/etc/passwd",
                                      "../../../etc/shadow", "/proc/self/mem"])
def test_external_data_is_never_read(workdir, location):
    assert fuzz.judge(clip_external(location), workdir) == "error"
    _, _, err = fuzz.run_limited([f"{workdir}/case.onnx"], workdir)
    assert "Clip(None, None) is neither ReLU nor ReLU6" in err, err


@pytest.mark.parametrize("location", ["fifo", "/dev/zero", "secret.bin"])
def test_external_shape_values_are_never_read(workdir, location):
    values = external_const(location, TensorProto.INT64, [1, 192], [2])
    data = model([node("Constant", [], ["s"], "k", value=values),
                  node("Reshape", ["x", "s"], ["y"], "r")])
    assert fuzz.judge(data, workdir) == "error"


def test_external_weights_with_hostile_locations_are_counted_by_their_dims(workdir):
    weight = stub("w", [8, 3, 3, 3])
    weight.external_data[0].value = "fifo"
    data = model([node("Conv", ["x", "w"], ["y"], "c", pads=[1, 1, 1, 1])], inits=[weight])
    assert fuzz.judge(data, workdir) == "ok"
    _, out, _ = fuzz.run_limited([f"{workdir}/case.onnx", "--format", "json"], workdir)
    assert fuzz.totals(out)["macs"] == 8 * 3 * 9 * 64


@pytest.fixture(scope="module")
def fixtures():
    return fuzz.fixtures()


@pytest.fixture(scope="module")
def originals(fixtures, workdir):
    return [fuzz.original_totals(data, workdir) for _, data in fixtures]


@pytest.mark.parametrize("seed", range(20))
def test_damaged_fixtures_end_in_a_consistent_report_or_one_line(workdir, fixtures, seed):
    label, data = fixtures[seed % len(fixtures)]
    args = ("--allow-unknown",) if seed % 3 == 1 else ()
    assert fuzz.judge(fuzz.mutate(random.Random(seed), data), workdir, args=args) in \
        ("ok", "error")


@pytest.mark.parametrize("seed", range(6))
def test_hostile_names_count_as_the_original_in_every_format(workdir, fixtures, originals, seed):
    data = fuzz.rename(random.Random(seed), fixtures[seed % len(fixtures)][1])
    assert fuzz.judge(data, workdir, fuzz.FORMATS, originals[seed % len(fixtures)]) in \
        ("ok", "error")
