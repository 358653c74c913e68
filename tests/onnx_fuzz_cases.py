"""Hostile ONNX files for the importer's contract: valid fixtures (zoo graphs written by
``onnx_writer``, small hand-made graphs) damaged at the protobuf level and at the byte level, and
the judge that runs ``costcalc FILE`` on each in a forked child under resource limits.

The contract: exit 0 with JSON whose totals are the sums of its rows (and, for a listed format,
the same rows), or exit 2 with exactly one line on stderr and nothing on stdout; never another
exit code, a traceback, a timeout or more memory than the limit. Used by tests/test_onnx_hostile.py
(derandomised) and scripts/onnx_fuzz.py (the long run).
"""
from __future__ import annotations

import json
import os
import random
import resource
import signal
import sys
import tempfile
from pathlib import Path

import onnx
from onnx import TensorProto, helper

CPU_SECONDS = 20  # per case: a bounded-work violation shows as a timeout
WALL_SECONDS = 60
MEMORY_BYTES = 3 << 30  # address space per case (the interpreter with onnx and numpy: ~1 GB)
HOSTILE_NAMES = ["[bold red]x[/]", "\\textbf{x}$", "<script>alert(1)</script>", "a\nb\rc",
                 "a|b`c*_", "=cmd|' /C calc'!A0", '","x', "\x1b[31mred", "\u202eevil", "{{x}}",
                 "%s%n", "../../etc/passwd", "x" * 5000, ""]
BIG = [0, -1, -(1 << 62), 1 << 31, 10 ** 9, 10 ** 12, (1 << 63) - 1, 3, 7, 2]
OPS = ["Relu", "Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "Reshape", "Transpose",
       "Resize", "Expand", "Tile", "ConstantOfShape", "Pad", "Slice", "Split", "If", "Loop",
       "MaxPool", "AveragePool", "GlobalAveragePool", "Softmax", "LayerNormalization",
       "ConvTranspose", "Squeeze", "Unsqueeze", "Gather", "ReduceMean", "NoSuchOp"]


# ---------------------------------------------------------------------------- fixtures
def zoo_fixture(model: str, values: dict) -> bytes:
    """A zoo model's graph written as ONNX (weights as dims only)."""
    from costcalc.api import load, resolve
    from costcalc.costing import conventions
    from onnx_writer import Writer

    spec = load(model)
    graph = spec.build(resolve(spec, values, conventions.get("paper")))
    return Writer(graph).model().SerializeToString()


def _value(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _weight(name, dims):
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "absent.bin"
    return tensor


def small_fixture() -> bytes:
    """Conv-BN-Relu, a residual Add, Reshape by a constant shape, Gemm: the ops whose values
    (shapes, bounds) are read from small tensors."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="/stem/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"],
                         name="/stem/BatchNormalization"),
        helper.make_node("Clip", ["n", "lo", "hi"], ["r"], name="/stem/Clip"),
        helper.make_node("Add", ["r", "x8"], ["a"], name="/block.0/Add"),
        helper.make_node("GlobalAveragePool", ["a"], ["p"], name="/pool/GlobalAveragePool"),
        helper.make_node("Reshape", ["p", "shape"], ["f"], name="/flat/Reshape"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="/fc/Gemm", transB=1),
    ]
    conv_x8 = helper.make_node("Conv", ["x", "w8"], ["x8"], name="/short/Conv")
    nodes.insert(3, conv_x8)
    inits = [_weight("w", [8, 3, 3, 3]), _weight("w8", [8, 3, 1, 1]),
             *[_weight(n, [8]) for n in "sbmv"], _weight("fw", [10, 8]), _weight("fb", [10]),
             helper.make_tensor("lo", TensorProto.FLOAT, [], [0.0]),
             helper.make_tensor("hi", TensorProto.FLOAT, [], [6.0]),
             helper.make_tensor("shape", TensorProto.INT64, [2], [1, -1])]
    graph = helper.make_graph(nodes, "small", [_value("x", [1, 3, 16, 16])],
                              [_value("y", [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def fixtures() -> list[tuple[str, bytes]]:
    """(label, file bytes) of each valid fixture the mutations start from."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    return [("small", small_fixture()),
            ("mobilenet_v2", zoo_fixture("mobilenet_v2", {"alpha": "0.35", "res": "32"})),
            ("mobilenet_v3_small", zoo_fixture("mobilenet_v3_small", {"res": "32"})),
            ("resnet18", zoo_fixture("resnet18", {"res": "32"})),
            ("vit_b_16", zoo_fixture("vit_b_16", {"res": "32"}))]


# ---------------------------------------------------------------------------- mutations
def _node(rng, model):
    return rng.choice(model.graph.node) if model.graph.node else None


def _names(model) -> list[str]:
    graph = model.graph
    return [i.name for i in graph.input] + [t.name for t in graph.initializer] + \
        [o for n in graph.node for o in n.output]


def _m_dim(rng, model):
    """An input's, an initializer's or a declared value's dim set to zero, negative, huge or
    symbolic."""
    graph = model.graph
    pick = rng.choice(["input", "init", "value"])
    if pick == "init" and graph.initializer:
        tensor = rng.choice(graph.initializer)
        if tensor.dims:
            tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice(BIG)
        return
    values = list(graph.input) if pick == "input" else list(graph.output) + list(graph.value_info)
    if values:
        dims = rng.choice(values).type.tensor_type.shape.dim
        if dims:
            dim = dims[rng.randrange(len(dims))]
            if rng.random() < 0.3:
                dim.Clear()
                dim.dim_param = rng.choice(["N", "H", "", "batch size"])
            else:
                dim.dim_value = rng.choice(BIG)


def _m_attribute(rng, model):
    """An integer attribute (kernel, strides, pads, group, axis, perm, ...) set to a hostile
    value, or a huge list."""
    node = _node(rng, model)
    if node is None or not node.attribute:
        return
    attribute = rng.choice(node.attribute)
    if attribute.type == onnx.AttributeProto.INT:
        attribute.i = rng.choice(BIG)
    elif attribute.type == onnx.AttributeProto.INTS:
        if rng.random() < 0.2:
            attribute.ints.extend([1] * rng.choice([1, 100, 100_000]))
        elif attribute.ints:
            attribute.ints[rng.randrange(len(attribute.ints))] = rng.choice(BIG)
    elif attribute.type == onnx.AttributeProto.FLOAT:
        attribute.f = rng.choice([0.0, -1.0, 1e9, float("inf"), float("nan"), 1e-30])


def _m_values(rng, model):
    """A small constant (reshape target, bound, scales, axes) set to hostile values."""
    small = [t for t in model.graph.initializer if t.data_location != TensorProto.EXTERNAL]
    if not small:
        return
    tensor = rng.choice(small)
    count = max(1, len(onnx.numpy_helper.to_array(tensor).reshape(-1)))
    if tensor.data_type == TensorProto.INT64:
        values = [rng.choice(BIG) for _ in range(count)]
        new = helper.make_tensor(tensor.name, TensorProto.INT64, list(tensor.dims), values)
    else:
        values = [rng.choice([0.0, -1.0, 6.0, 1e9, float("nan"), float("inf")])
                  for _ in range(count)]
        new = helper.make_tensor(tensor.name, TensorProto.FLOAT, list(tensor.dims), values)
    tensor.CopyFrom(new)


def _m_wire(rng, model):
    """A node input rewired: undefined, a later tensor (a cycle), another tensor, or empty."""
    node = _node(rng, model)
    if node is None or not node.input:
        return
    index = rng.randrange(len(node.input))
    node.input[index] = rng.choice(["undefined", "", *rng.sample(_names(model), 1)])


def _m_output(rng, model):
    """An output renamed to an existing name (defined twice), or a graph output dropped."""
    node = _node(rng, model)
    if node is None:
        return
    if rng.random() < 0.7:
        node.output[0] = rng.choice(_names(model))
    elif model.graph.output:
        model.graph.output[0].name = "nowhere"


def _m_nodes(rng, model):
    """A node deleted, duplicated, or two nodes swapped (out of topological order)."""
    nodes = model.graph.node
    if len(nodes) < 2:
        return
    i, j = rng.randrange(len(nodes)), rng.randrange(len(nodes))
    choice = rng.random()
    if choice < 0.4:
        del nodes[i]
    elif choice < 0.6:
        nodes.add().CopyFrom(nodes[i])
    else:
        a, b = onnx.NodeProto(), onnx.NodeProto()
        a.CopyFrom(nodes[i])
        b.CopyFrom(nodes[j])
        nodes[i].CopyFrom(b)
        nodes[j].CopyFrom(a)


def _m_op(rng, model):
    """A node's op type or domain changed."""
    node = _node(rng, model)
    if node is None:
        return
    if rng.random() < 0.8:
        node.op_type = rng.choice(OPS)
    else:
        node.domain = rng.choice(["com.microsoft", "ai.onnx.ml", "evil", "ai.onnx"])


def _m_name(rng, model):
    """Node, graph or tensor names with markup, control characters, huge lengths."""
    name = rng.choice(HOSTILE_NAMES)
    node = _node(rng, model)
    choice = rng.random()
    if choice < 0.5 and node is not None:
        prefix = rng.choice(["", "/", f"/{name}/", "/features/"])
        node.name = prefix + name + rng.choice(["", "/Conv", "/"])
    elif choice < 0.7:
        model.graph.name = name
    elif node is not None and node.output:
        # a tensor renamed everywhere it occurs (stays a valid graph)
        old = node.output[0]
        for other in model.graph.node:
            other.input[:] = [name if n == old else n for n in other.input]
        for value in model.graph.output:
            if value.name == old:
                value.name = name
        node.output[0] = name


def _m_opset(rng, model):
    """The opset removed, set to an old, a future or a nonsense version."""
    if rng.random() < 0.2:
        del model.opset_import[:]
        return
    for entry in model.opset_import:
        entry.version = rng.choice([0, 1, 7, 9, 11, 13, 17, 21, 99, -5, 1 << 40])


def _m_subgraph(rng, model):
    """A node given a subgraph attribute (If, Loop, Scan), nested a few levels."""
    node = _node(rng, model)
    if node is None:
        return
    body = helper.make_graph([helper.make_node("Relu", ["a"], ["b"])], "body",
                             [_value("a", [1])], [_value("b", [1])])
    for _ in range(rng.randrange(4)):
        inner = helper.make_node("If", ["c"], ["b"], then_branch=body, else_branch=body)
        body = helper.make_graph([inner], "body", [], [_value("b", [1])])
    node.attribute.append(helper.make_attribute(rng.choice(["then_branch", "body"]), body))
    if rng.random() < 0.5:
        node.op_type = rng.choice(["If", "Loop", "Scan"])


def _m_external(rng, model):
    """A small constant moved to an external file with a hostile location (never read)."""
    small = [t for t in model.graph.initializer if t.data_location != TensorProto.EXTERNAL]
    if not small:
        return
    tensor = rng.choice(small)
    for key in ("int64_data", "float_data", "raw_data"):
        tensor.ClearField(key)
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key = "location"
    entry.value = rng.choice(["/dev/zero", "/etc/passwd", "../../../etc/shadow", "fifo",
                              "secret.bin", "/proc/self/mem", ""])


PROTO_MUTATIONS = [_m_dim, _m_attribute, _m_values, _m_wire, _m_output, _m_nodes, _m_op,
                   _m_name, _m_opset, _m_subgraph, _m_external]


def rename(rng: random.Random, data: bytes) -> bytes:
    """Only names changed (nodes, graph, tensors): the report must count what the original
    does, whatever the names hold."""
    model = onnx.ModelProto()
    model.ParseFromString(data)
    for _ in range(rng.randint(1, 4)):
        _m_name(rng, model)
    return model.SerializeToString()


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to three mutations of a valid file: protobuf-level, or bytes cut, flipped, spliced."""
    if rng.random() < 0.15:
        data = bytearray(data)
        choice = rng.random()
        if choice < 0.4:
            return bytes(data[:rng.randrange(len(data))])
        if choice < 0.8:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            return bytes(data)
        at = rng.randrange(len(data))
        return bytes(data[:at] + rng.randbytes(rng.randint(1, 64)) + data[at:])
    model = onnx.ModelProto()
    model.ParseFromString(data)
    for _ in range(rng.randint(1, 3)):
        rng.choice(PROTO_MUTATIONS)(rng, model)
    try:
        return model.SerializeToString()
    except Exception:  # noqa: BLE001 - a mutation protobuf itself refuses: keep the original
        return data


# ---------------------------------------------------------------------------- the judge
class Violation(AssertionError):
    """The contract broken: the message says how."""


def run_limited(args: list[str], cwd: str) -> tuple[int, str, str]:
    """``costcalc ARGS`` in a forked child (the parent's imports shared, so each case costs
    only its own work) under CPU and memory limits: (exit code, stdout, stderr); a signal is
    a negative code."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.chdir(cwd)
                resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
                resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.alarm(WALL_SECONDS)  # blocked on a pipe uses no CPU: killed by the alarm
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                # the parent's streams may be a test runner's capture objects, not fds 1 and 2
                sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
                sys.argv = ["costcalc", *args]
                from costcalc.cli import main

                try:
                    main()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - a traceback is a finding: say so, code 70
                import traceback

                traceback.print_exc()
                code = 70
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")


def check_json(text: str) -> None:
    """Totals are the sums of the rows (MACs, params, activations)."""
    data = json.loads(text)
    layers, total = data["layers"], data["total"]
    for key in ("macs", "params", "activations"):
        if sum(layer[key] for layer in layers) != total[key]:
            raise Violation(f"{key}: rows sum to {sum(layer[key] for layer in layers)}, "
                            f"total says {total[key]}")


def check_csv(text: str, rows: int) -> None:
    """One CSV record per row (a name with quotes, commas or newlines stays in its cell)."""
    import csv
    import io

    records = [r for r in list(csv.reader(io.StringIO(text)))[1:] if r and r[0] == "row"]
    if len(records) != rows:
        raise Violation(f"CSV has {len(records)} row records for {rows} layers")


FORMATS = ("table", "markdown", "latex", "csv", "html")


def totals(text: str) -> dict:
    return json.loads(text)["total"]


def original_totals(data: bytes, workdir: str) -> dict:
    """The totals of an unchanged fixture (the names-only cases must give them)."""
    path = os.path.join(workdir, "original.onnx")
    Path(path).write_bytes(data)
    code, out, err = run_limited([path, "--format", "json"], workdir)
    assert code == 0, err
    return totals(out)


def judge(data: bytes, workdir: str, formats: tuple[str, ...] = ("csv",),
          expected: dict | None = None, args: tuple[str, ...] = ()) -> str:
    """Run the contract on one file's bytes: "ok" (a consistent report, with the ``expected``
    totals when given) or "error" (one located line); raises Violation otherwise."""
    path = os.path.join(workdir, "case.onnx")
    with open(path, "wb") as handle:
        handle.write(data)
    code, out, err = run_limited([path, *args, "--format", "json"], workdir)
    if code == 2:
        lines = err.splitlines()
        if len(lines) != 1 or not lines[0].startswith("error: ") or out:
            raise Violation(f"exit 2 but stderr {err[:400]!r}, stdout {out[:100]!r}")
        if path not in lines[0] and not lines[0].startswith("error: --"):
            raise Violation(f"the error does not name the file: {lines[0][:300]}")
        return "error"
    if code < 0:
        raise Violation(f"killed by signal {-code} ({signal.Signals(-code).name}: "
                        f"CPU {CPU_SECONDS} s, wall {WALL_SECONDS} s or memory "
                        f"{MEMORY_BYTES >> 20} MB exceeded): {err[-500:]}")
    if code != 0:
        raise Violation(f"exit {code}: {err[-1500:]}")
    if err:
        raise Violation(f"exit 0 with stderr {err[:300]!r}")
    check_json(out)
    if expected is not None and totals(out) != expected:
        raise Violation(f"totals {totals(out)}, the original's {expected}")
    rows = len(json.loads(out)["layers"])
    for fmt in formats:
        code, text, err = run_limited([path, *args, "--format", fmt], workdir)
        if code != 0 or err:
            raise Violation(f"--format {fmt}: exit {code}, {err[:300]!r}")
        if fmt == "csv":
            check_csv(text, rows)
        if fmt == "html" and "<script>alert" in text:
            raise Violation("a name's markup reached the HTML unescaped")
        if "\x1b" in text:
            raise Violation(f"--format {fmt}: a terminal escape from a name reached the output")
    return "ok"


def prepare(workdir: str) -> None:
    """The hostile files external data may name, in the case's directory: a pipe (reading it
    would hang: the child's wall-clock alarm ends it) and a readable file (reading it is the
    finding; it holds no valid tensor data)."""
    fifo = os.path.join(workdir, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    Path(workdir, "secret.bin").write_bytes(b"\x01" * 64)

