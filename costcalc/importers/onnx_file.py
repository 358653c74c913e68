"""The ONNX importer: an .onnx file's graph, mapped op by op onto the registered layer kinds.

The file is read without its external weights (only dims matter), converted to opset 15 when
older, shape-inferred strictly with data propagation (batch pinned to 1), and walked in order.
Conv, Gemm and MatMul absorb a following BatchNormalization and activation when they are its only
reader (as a spec writes ``bn: true, act: relu``); ops that only compute shapes leave no row.
A map permuted to NHWC is the same tensor held channels-last (its last axis the channels), and
layers an exporter writes as several primitive ops are found first (``onnx_patterns``).
An op with no kind is an error naming it, unless ``allow_unknown`` (a named zero-cost row).
"""
from __future__ import annotations

import math
import re
from contextlib import ExitStack
from typing import Any, Mapping

from costcalc.errors import SpecError, UsageError
from costcalc.graph import quantities as q
from costcalc.graph.builder import GraphBuilder
from costcalc.graph.core import Graph, Tensor
from costcalc.graph.registry import Shape, Tokens
from costcalc.graph.units import (add_merge, concat_merge, conv_unit, global_avg_pool_node,
                                  scale_merge)
from costcalc.importers import onnx_calls, onnx_checks, onnx_patterns, onnx_values, onnx_windows
from costcalc.importers.base import register_importer
from costcalc.importers.model import ImportedModel, ImportParameter

TARGET_OPSET = 15
INSTALL = "reading ONNX files needs the onnx package: pip install 'costcalc[onnx]'"
SMALL = 4096  # constant tensors read as values (shapes, axes, bounds); weights only by dims
VIEWS = ("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze")
SHAPE_ONLY = ("Shape", "Size", "Constant", "ConstantOfShape")
FUSING = ("Conv", "Gemm", "MatMul", "Add")
# Ops whose output keeps a channels-last input's layout (NCHW permuted to NHWC, as ConvNeXt's
# blocks run nn.LayerNorm and nn.Linear): element-wise ops, norms and linears over the last axis.
KEEPS_LAYOUT = frozenset(("Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh", "Relu",
                          "Sigmoid", "HardSigmoid", "HardSwish", "Clip", "Gelu", "Softmax",
                          "LayerNormalization", "MatMul", "Gemm", "Identity", "Dropout",
                          "ReduceMean"))
TO_NHWC, TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]
OTHER_NORMS = ("LayerNormalization", "GroupNormalization", "InstanceNormalization")
ACT_OPS = {"Relu": "relu", "HardSwish": "hswish", "HardSigmoid": "hsigmoid",
           "Sigmoid": "sigmoid"}


def _onnx():
    try:
        import onnx
    except ImportError:
        raise UsageError(INSTALL) from None
    return onnx


class OnnxImporter:
    """Reads ``.onnx`` files."""

    suffixes = (".onnx",)

    def open(self, path: str) -> ImportedModel:
        """The model in ``path``, built at ``input``/``resolution``/``allow_unknown`` values."""
        onnx = _onnx()
        model = _read(onnx, path)
        inputs = _graph_inputs(model)
        symbolic = any(not isinstance(d, int) for _, dims in inputs for d in dims[1:])
        parameters = {
            "input": ImportParameter("input", None, "input shape NAME:1x3xHxW (symbolic dims)"),
            "resolution": ImportParameter("resolution", None, "input height and width of a "
                                          "4-d image input", "whole"),
            "allow_unknown": ImportParameter("allow_unknown", False, "count ops with no layer "
                                             "kind as named zero-cost rows", "bool"),
            **_call_parameters(),
        }
        name = model.graph.name or path.rsplit("/", 1)[-1].removesuffix(".onnx")
        description = f"ONNX file {path} (opset {onnx_checks.opset(model)})" + \
            (" with symbolic input dimensions" if symbolic else "")
        return ImportedModel(path, name, description, parameters,
                             lambda values: self.load(path, values, model), source=path)

    def load(self, path: str, values: Mapping[str, Any] | None = None, model: Any = None) -> Graph:
        """The graph of ``path`` at parameter ``values`` (see ``open``)."""
        onnx = _onnx()
        values = dict(values or {})
        model = _read(onnx, path) if model is None else model
        opset = onnx_checks.opset(model)
        work = onnx.ModelProto()
        work.CopyFrom(model)
        _pin_inputs(work, path, values.get("input"), values.get("resolution"))
        if opset < TARGET_OPSET:
            from onnx import version_converter

            try:
                work = version_converter.convert_version(work, TARGET_OPSET)
            except Exception as exc:
                raise SpecError(f"cannot convert opset {opset} to {TARGET_OPSET}: "
                                f"{_first_line(exc)}", path) from None
        from onnx import shape_inference

        hidden = _hide_shape_preserving(work)
        try:
            work = shape_inference.infer_shapes(work, check_type=True, strict_mode=True,
                                                data_prop=True)
        except Exception as exc:
            raise SpecError(f"shape inference failed: {_first_line(exc)}", path) from None
        _restore(work, hidden)
        # shapes left symbolic by size arithmetic ONNX cannot propagate (Swin's window pads)
        computed = onnx_values.resolve(onnx, work) if onnx_values.unknown_outputs(work) else {}
        return _Walk(onnx, work, path, opset, bool(values.get("allow_unknown")), values,
                     computed).run()


def _call_parameters() -> dict[str, ImportParameter]:
    """The choices the file may not settle (docs/onnx.md): how a Resize was called, and which
    layers reading one weight tensor are one parameter set."""
    return {
        "resize_as": ImportParameter("resize_as", "auto", "a Resize is an nn.Upsample module or "
                                     "an F.interpolate call: auto reads the exporter's marks "
                                     "(module where there are none)", "choice",
                                     onnx_calls.RESIZE_AS),
        "tied": ImportParameter("tied", "auto", "layers reading the same weight tensors count "
                                "them once: all, module (only a module called again), none; "
                                "auto is all for a TorchScript export, else module", "choice",
                                onnx_calls.TIED),
    }


# ---------------------------------------------------------------------------- reading
# Function ops whose output has their first input's shape, but whose output shape ONNX's
# inference leaves unknown (it does not expand their function bodies), which would stop every
# later shape: inferred as an Identity of that input, then restored.
SHAPE_PRESERVING = ("GroupNormalization",)


def _hide_shape_preserving(model) -> list:
    hidden = []
    for index, node in enumerate(model.graph.node):
        if node.op_type in SHAPE_PRESERVING and node.domain in onnx_checks.ONNX_DOMAINS:
            saved = type(node)()
            saved.CopyFrom(node)
            hidden.append((index, saved))
            del node.input[1:]
            del node.attribute[:]
            node.op_type = "Identity"
    return hidden


def _restore(model, hidden: list) -> None:
    for index, saved in hidden:
        model.graph.node[index].CopyFrom(saved)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " ".join((text[-1] if text else type(exc).__name__).split())[:300]


def _read(onnx, path: str):
    try:
        with open(path, "rb") as handle:
            model = onnx.ModelProto()
            model.ParseFromString(bytes(_without_weights(handle)))
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not an ONNX file") from None
    except Exception as exc:
        raise SpecError(f"not an ONNX model ({_first_line(exc)})", path) from None
    if not model.graph.node:
        raise SpecError("not an ONNX model (no graph nodes)", path)
    onnx_checks.check_model(onnx, model, path)
    _drop_weights(onnx, model)
    return model


# Protocol-buffer field numbers (onnx.proto): ModelProto.graph, GraphProto.initializer, and the
# TensorProto fields that hold data (float, int32, string, int64, raw, double, uint64).
MODEL_GRAPH, GRAPH_INITIALIZER, TENSOR_DIMS = 7, 5, 1
TENSOR_DATA = frozenset((4, 5, 6, 7, 9, 10, 11))
KEEP_BYTES = 8 * SMALL  # a message this short is kept whole: its data is small anyway


def _varint(data, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated or over-long varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _encode(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields(data, pos: int, end: int):
    """(field number, wire type, payload offset, payload length, field offset) of each field in
    [pos, end)."""
    while pos < end:
        field_start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, after = _varint(data, pos)
            length = after - pos
        elif wire in (1, 5):
            length = 8 if wire == 1 else 4
        elif wire == 2:
            length, pos = _varint(data, pos)
        else:
            raise ValueError(f"wire type {wire}")
        if pos + length > end:
            raise ValueError("field runs past the end")
        yield number, wire, pos, length, field_start
        pos += length


def _copy(data, number: int, wire: int, start: int, length: int, payload=None) -> bytes:
    if payload is None:
        payload = data[start:start + length]
    tag = _encode(number << 3 | wire)
    return tag + (_encode(len(payload)) if wire == 2 else b"") + bytes(payload)


def _without_weights(handle) -> bytearray:
    """The model's bytes with the data of large initializers left out. The file is mapped, not
    read: the pages of skipped weights are never touched (memory stays near the graph's size)."""
    import mmap

    handle.seek(0, 2)
    if handle.tell() == 0:
        return bytearray()
    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _rewrite(data, 0, len(data), MODEL_GRAPH, _graph)


def _rewrite(data, start: int, end: int, field: int, inner) -> bytearray:
    """The fields in [start, end) as they are, but each large ``field`` rewritten by ``inner``;
    unchanged fields are copied as runs (one slice per run, not per field)."""
    out = bytearray()
    run = start
    for number, wire, begin, size, field_start in _fields(data, start, end):
        if number == field and wire == 2 and size > KEEP_BYTES:
            out += data[run:field_start]
            out += _copy(data, number, wire, begin, size, inner(data, begin, size))
            run = begin + size
    out += data[run:end]
    return out


def _graph(data, start: int, length: int) -> bytearray:
    return _rewrite(data, start, start + length, GRAPH_INITIALIZER, _tensor)


def _tensor(data, start: int, length: int) -> bytearray:
    fields = list(_fields(data, start, start + length))
    dims = []
    for number, wire, begin, size, _ in fields:
        if number == TENSOR_DIMS and wire == 0:
            dims.append(_varint(data, begin)[0])
        elif number == TENSOR_DIMS and wire == 2:
            pos = begin
            while pos < begin + size:
                value, pos = _varint(data, pos)
                dims.append(value)
    keep = math.prod(dims) <= SMALL
    out = bytearray()
    for number, wire, begin, size, _ in fields:
        if keep or number not in TENSOR_DATA:
            out += _copy(data, number, wire, begin, size)
    return out


def _drop_weights(onnx, model) -> None:
    """Keep only the dims of large initializers: memory stays near the graph's size, and the
    copies shape inference makes are small (small tensors keep their values: shapes, axes)."""
    for tensor in model.graph.initializer:
        if math.prod(tensor.dims) > SMALL and tensor.data_location != onnx.TensorProto.EXTERNAL:
            dims, name, dtype = list(tensor.dims), tensor.name, tensor.data_type
            tensor.Clear()
            tensor.name, tensor.data_type = name, dtype
            tensor.dims.extend(dims)
            tensor.data_location = onnx.TensorProto.EXTERNAL
            entry = tensor.external_data.add()
            entry.key, entry.value = "location", "(weights not read)"


def _dims(type_proto) -> list:
    shape = type_proto.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in shape.dim]


def _graph_inputs(model) -> list[tuple[str, list]]:
    initializers = {t.name for t in model.graph.initializer}
    return [(i.name, _dims(i.type)) for i in model.graph.input if i.name not in initializers]


def _pin_inputs(model, path: str, given: str | None, resolution: int | None) -> None:
    """Batch 1; other symbolic dims from ``NAME:1x3xHxW`` or the resolution, else an error."""
    if resolution is not None:
        if not any(len(v.type.tensor_type.shape.dim) == 4 for v in model.graph.input):
            raise UsageError(f"{path}: --res sets the sides of a 4-d image input; this model "
                             "has none (give --input NAME:DIMS)")
    if given or resolution is not None:
        # the file's own intermediate and output shapes hold the old size: inferred anew
        del model.graph.value_info[:]
        for value in model.graph.output:
            value.type.tensor_type.ClearField("shape")
    explicit: dict[str, list[int]] = {}
    if given:
        name, sep, dims_text = given.rpartition(":")
        parts = dims_text.lower().split("x")
        if not sep or not all(p.isdigit() and len(p) <= 9 and int(p) > 0 for p in parts):
            raise UsageError(f"--input takes NAME:1x3xHxW (whole numbers), got {given[:60]!r}")
        explicit[name] = [int(p) for p in parts]
    initializers = {t.name for t in model.graph.initializer}
    known = [i.name for i in model.graph.input if i.name not in initializers]
    for name in explicit:
        if name not in known:
            raise UsageError(f"--input names {name!r}; the model's inputs: {', '.join(known)}")
    for value in model.graph.input:
        if value.name in initializers:
            continue
        dims = value.type.tensor_type.shape.dim
        wanted = explicit.get(value.name)
        if wanted is not None and len(wanted) != len(dims):
            raise UsageError(f"--input {value.name}: {len(wanted)} dims given, the input has "
                             f"{len(dims)}")
        for index, dim in enumerate(dims):
            if wanted is not None:
                if index == 0 and wanted[0] != 1:
                    raise UsageError("the batch is pinned to 1: give 1 as the first dimension")
                dim.Clear()
                dim.dim_value = wanted[index]
            elif index == 0 and not dim.HasField("dim_value"):
                dim.Clear()
                dim.dim_value = 1
            elif resolution is not None and len(dims) == 4 and index >= 2:
                dim.Clear()
                dim.dim_value = resolution
            elif not dim.HasField("dim_value"):
                shown = "x".join(str(d) for d in _dims(value.type))
                raise UsageError(f"{path}: input {value.name!r} has symbolic dimensions "
                                 f"{shown}: give --input {value.name}:1x3xHxW (or --res)")
        if dims and dims[0].dim_value != 1:
            raise UsageError(f"{path}: input {value.name!r} has batch {dims[0].dim_value}; "
                             "costcalc counts batch 1")


# ---------------------------------------------------------------------------- walking
def _shape(dims: list) -> Shape | None:
    """An ONNX activation shape (batch first) as costcalc's C x H x W, or None."""
    if not dims or not all(isinstance(d, int) and d > 0 for d in dims) or dims[0] != 1:
        return None
    rest = dims[1:]
    if len(rest) > 3:
        return None
    rest = rest + [1] * (3 - len(rest))
    return Shape(*rest)


def module_path(node_name: str) -> list[str]:
    """``/features/features.3/conv/conv.0/Conv`` -> ``['features', '3', 'conv', '0']``.

    A scope names a module by its parent's scope and its index in it (``features.0.0`` inside
    ``features.0``: SSDlite's nested Sequentials), or by the whole path so far."""
    if not node_name.startswith("/"):
        return []
    parts = [p for p in node_name.split("/")[1:-1] if p]
    path: list[str] = []
    parent = ""
    for raw in parts:
        previous = ".".join(path)
        part = raw
        if previous and part.startswith(previous + "."):
            part = part[len(previous) + 1:]
        elif parent and part.startswith(parent + "."):
            part = part[len(parent) + 1:]
        path.extend(p for p in part.split(".") if p)
        parent = raw
    return path


def _group(path: list[str]) -> list[str]:
    """The report block: up to the first numbered module (``features.3``, or ViT's
    ``encoder.layers.encoder_layer_0``), else the first."""
    for index, part in enumerate(path):
        if part.isdigit() or (index and re.fullmatch(r"[A-Za-z]\w*_\d+", part)):
            return path[:index + 1]
    return path[:1]


GATES = ("Sigmoid", "HardSigmoid", "Clip", "Relu", "HardSwish", "Add", "Div", "Mul")


def _se_convs(graph) -> set[int]:
    """ids of the two convs of each squeeze-and-excite: Mul(x, gate(conv(act(conv(pool(x))))))."""
    producer = {out: node for node in graph.node for out in node.output}

    def back(name, wanted):
        """The ``wanted`` node behind ``name``, through element-wise gate ops."""
        node = producer.get(name)
        for _ in range(4):
            if node is None or node.op_type in wanted:
                return node
            if node.op_type not in GATES:
                return None
            node = producer.get(node.input[0])
        return None

    found: set[int] = set()
    for mul in graph.node:
        if mul.op_type != "Mul" or len(mul.input) != 2:
            continue
        for x, gate in (mul.input, mul.input[::-1]):
            excite = back(gate, ("Conv",))
            reduce = back(excite.input[0], ("Conv",)) if excite is not None else None
            pool = producer.get(reduce.input[0]) if reduce is not None else None
            if pool is not None and pool.op_type in ("GlobalAveragePool", "ReduceMean") and \
                    pool.input[0] == x:
                found.update((id(excite), id(reduce)))
    return found


def _channels_last(graph, dims: dict, attrs) -> set[str]:
    """Names of the activations held channels-last: a rank-4 activation permuted by
    Transpose(0, 2, 3, 1), and what layout-keeping ops compute from it, until a
    Transpose(0, 3, 1, 2) turns it back."""
    initializers = {t.name for t in graph.initializer}
    live = {i.name for i in graph.input if i.name not in initializers}
    nhwc: set[str] = set()
    for node in graph.node:
        ins = [n for n in node.input if n in live]
        if not ins:
            continue
        live.update(node.output)
        if node.op_type == "Transpose":
            perm = attrs(node).get("perm")
            if ins[0] not in nhwc and len(dims.get(ins[0], [])) == 4 and perm == TO_NHWC:
                nhwc.add(node.output[0])
        elif node.op_type in KEEPS_LAYOUT and any(n in nhwc for n in ins) and \
                attrs(node).get("keepdims", 1):
            nhwc.update(node.output)
    return nhwc


def _listed(names: list[str], limit: int = 6) -> str:
    """The first ``limit`` names for a note, then ``...`` when there are more."""
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _same(shape: Shape, expected: Shape) -> bool:
    """A kind's output shape is the inferred one (tokens: N of width D, on any grid)."""
    if shape.tokens and expected.tokens:
        return (shape.c, shape.h * shape.w) == (expected.c, expected.h * expected.w)
    return shape == expected


PARAM_VIEWS = ("Identity", "Transpose", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Cast")
# Ops whose float inputs from this index on are settings, not operands (scales, roi, bounds)
SETTINGS = {"Resize": 1, "Upsample": 1, "Pad": 1, "Clip": 1}
# Layers whose inputs after the first are their weights, whatever their size (a conv to one
# channel has a one-value bias)
LAYERS = ("Conv", "ConvTranspose", "Gemm", "BatchNormalization", "LayerNormalization",
          "InstanceNormalization", "GroupNormalization")


def learned(graph) -> set[str]:
    """Names of the values that hold learned parameters: float initializers of more than one
    value read as an operand (not as a Resize's scales or roi) or of any size read as a layer's
    weight (Conv, Gemm, the norms), and views of one (an Identity, Transpose, Unsqueeze, ... of
    it).

    torch's exporter writes every parameter and buffer as an initializer (its Unsqueeze or
    Transpose kept as a node unless constant folding computed it into a new initializer), and
    the numbers and tensors a forward creates as Constant nodes (``x * 0.5``, the ones and
    zeros of a norm without affine parameters). So a Constant is never a parameter, nor is an
    integer initializer (shapes, axes, indices) or a one-value one (a graph optimiser's form of
    a Constant scalar: eps, 0.5, sqrt 2; a learned scalar parameter reads the same and is not
    counted)."""
    weights = {n for node in graph.node if node.op_type in LAYERS for n in node.input[1:]}
    params = {t.name for t in graph.initializer
              if t.data_type in onnx_calls.FLOATS and (math.prod(t.dims) > 1 or t.name in weights)}
    data = set()  # read as an operand, not as a Resize's scales or a Pad's value
    for node in graph.node:
        data.update(node.input[:SETTINGS.get(node.op_type, len(node.input))])
    params &= data
    for node in graph.node:
        if node.op_type in PARAM_VIEWS and node.input and node.input[0] in params:
            params.update(node.output)
    return params


def _derived(graph, params: set[str]) -> set[str]:
    """Values computed from learned tensors by ops that read no activation, other than a view
    of one (``learned``): an Expand, Gather, Mul of parameters... Their values are not the
    parameters' (an Expand repeats them), so no kind counts them from their shape; an op that
    reads one is an error unless a mapping knows the parameter behind it (a class token's
    Expand)."""
    initializers = {t.name for t in graph.initializer}
    live = {i.name for i in graph.input if i.name not in initializers}
    derived: set[str] = set()
    for node in graph.node:
        if any(n in live for n in node.input):
            live.update(node.output)
        elif node.op_type not in onnx_calls.SHAPE_READERS and \
                any(n in params or n in derived for n in node.input):
            derived.update(n for n in node.output if n not in params)
    return derived


class _Tensors(dict):
    """ONNX names -> costcalc tensors; the names of token tensors ([1, N, D]) are remembered, so
    the shapes ONNX infers after them read as tokens."""

    def __init__(self, tokens: set[str]):
        super().__init__()
        self.tokens = tokens

    def __setitem__(self, name: str, tensor: Tensor) -> None:
        if tensor.shape.tokens:
            self.tokens.add(name)
        super().__setitem__(name, tensor)


class _Done(set):
    """ids of the ONNX nodes already mapped, with the order they were added in (``log``): the
    nodes one handler absorbed are the log's tail."""

    def __init__(self):
        super().__init__()
        self.log: list[int] = []

    def add(self, item: int) -> None:
        if item not in self:
            self.log.append(item)
        super().add(item)

    def update(self, items) -> None:
        for item in items:
            self.add(item)


class _Walk:
    """One pass over an inferred ONNX graph, feeding a GraphBuilder."""

    def __init__(self, onnx, model, path: str, opset: int, allow_unknown: bool,
                 options: Mapping[str, Any] | None = None,
                 computed: dict | None = None):
        self.onnx, self.model, self.path = onnx, model, path
        self.opset, self.allow_unknown = opset, allow_unknown
        graph = model.graph
        options = options or {}
        self.calls = onnx_calls.Calls(model)
        self.resize_as = options.get("resize_as") or "auto"
        self.resized: dict[str, list[str]] = {}  # how Resizes were read -> their rows
        self.tying = onnx_calls.Tying(model, self.calls.tied_rule(options.get("tied") or "auto"))
        self.builder = GraphBuilder()
        self.dims: dict[str, list] = {}
        for info in list(graph.value_info) + list(graph.input) + list(graph.output):
            self.dims[info.name] = _dims(info.type)
        self.consts: dict[str, list] = {t.name: list(t.dims) for t in graph.initializer}
        # the learned tensors (``learned``): what each kind counts as parameters
        self.params: set[str] = learned(graph)
        self.derived = _derived(graph, self.params)
        # tensors held channels-last: [1, H, W, C] views of costcalc's C x H x W tensors
        self.nhwc = _channels_last(graph, self.dims, self.attrs)
        self.values: dict[str, list] = {}
        for t in graph.initializer:
            if math.prod(t.dims) <= SMALL and t.data_location != onnx.TensorProto.EXTERNAL:
                self.values[t.name] = self._array(t)
        for name, value in (computed or {}).items():  # size arithmetic (onnx_values)
            self.values.setdefault(name, value)
        # Constants first: an exporter may place Clip's bounds after the conv it fuses with
        for node in graph.node:
            if node.op_type == "Constant":
                self.fold(node)
        self.tokens: set[str] = set()  # names of token tensors [1, N, D]
        self.tensors: dict[str, Tensor] = _Tensors(self.tokens)
        self.readers: dict[str, list] = {}
        for node in graph.node:
            for name in node.input:
                self.readers.setdefault(name, []).append(node)
        for out in graph.output:
            self.readers.setdefault(out.name, []).append(None)
        self.done = _Done()
        self.by_id = {id(n): n for n in graph.node}
        self.names: set[str] = set()
        self.tried: dict[tuple[str, str], int] = {}  # (base, op) -> the last suffix given
        self.unknown: list[str] = []
        self.folded: list[str] = []
        self.pattern_notes: dict[str, int] = {}  # what matched layers say under the report
        self.producers = {out: node for node in graph.node for out in node.output}
        self.se_convs = _se_convs(graph)
        self.patterns = onnx_patterns.find(graph, self.value, self.attrs, self.params, self.dims,
                                           self.consts)
        self.patterns.update(onnx_windows.find(graph, self.value, self.attrs, self.params,
                                               self.dims, self.consts))
        # a model normalised by other norms (ConvNeXt's LayerNorms) has convs with biases of its
        # own, not BatchNorm folded into them
        self.other_norms = sum(n.op_type in OTHER_NORMS for n in graph.node) + \
            sum(m.kind == "layer_norm" for m in self.patterns.values())
        self.batchnorms = sum(n.op_type == "BatchNormalization" for n in graph.node)

    def _array(self, tensor) -> list | None:
        """A small tensor's values; None for data in an external file, which is never read
        (its location is the file's text: any path, a device, a pipe)."""
        from onnx import numpy_helper

        if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
            return None
        try:
            return numpy_helper.to_array(tensor).reshape(-1).tolist()
        except Exception as exc:  # data of another size or type than the dims declare
            raise SpecError(f"tensor {onnx_checks.shown(tensor.name)} of dims "
                            f"{list(tensor.dims)}: its data does not match "
                            f"({_first_line(exc)})", self.path) from None

    def error(self, node, message: str) -> SpecError:
        return SpecError(f"{node.op_type} node {node.name or '(unnamed)'!r} (opset "
                         f"{self.opset}): {message}", self.path)

    def run(self) -> Graph:
        graph = self.model.graph
        first = None
        for name, dims in _graph_inputs(self.model):
            shape = _shape(dims) if len(dims) >= 2 else None
            if shape is None:
                raise SpecError(f"input {name!r} of shape {dims} is not a batch-1 tensor of "
                                "rank 2 to 4 (a vector [1, C], tokens [1, N, D] or a map "
                                "[1, C, H, W])", self.path)
            if len(dims) == 3:
                shape = Shape(dims[2], dims[1], 1)
            self.tensors[name] = self.builder.input(shape)
            if len(dims) == 3:
                self.token_input(name)
            first = first or shape
        if first is None:
            raise SpecError("the model has no input", self.path)
        for index, node in enumerate(graph.node):
            if id(node) in self.done:
                continue
            self.node(node)
        name = graph.name or self.path.rsplit("/", 1)[-1].removesuffix(".onnx")
        result = self.builder.graph(name, first)
        result.notes = self.notes()
        outputs = [(out.name, self.tensors[out.name].node) for out in graph.output
                   if out.name in self.tensors and self.tensors[out.name].node >= 0]
        if len(outputs) > 1 or (outputs and outputs[0][1] != len(result.nodes) - 1):
            result.output_names = [label for label, _ in outputs]  # several outputs
            result.outputs = [index for _, index in outputs]
        return result

    def token_input(self, name: str) -> None:
        """An input [1, N, D] is a sequence of N tokens of width D (a transformer encoder without
        its patch embedding): the D x N x 1 input read as tokens by a free ``to_tokens`` view,
        so that a spec writes it the same way (``input: [D, N, 1]``, then ``to_tokens``)."""
        row = "tokens"
        while row in self.names:
            row += "_"
        self.names.add(row)
        self.tensors[name] = self.builder.call("to_tokens", self.tensors[name], row)

    def notes(self) -> list[str]:
        notes = [f"{note} ({count} x)" for note, count in self.pattern_notes.items()]
        if self.unknown:
            notes.append("unknown ops counted as zero (--allow-unknown): " + ", ".join(self.unknown))
        if self.folded and not self.batchnorms and not self.other_norms:
            shown = _listed(self.folded, 8)
            notes.append(f"no BatchNormalization in the file and {len(self.folded)} convs with a "
                         f"bias ({shown}): BatchNorm folded into the convs by the exporter; counted "
                         "as the file is (docs/onnx.md: exporting without folding)")
        return notes + self.call_notes()

    def call_notes(self) -> list[str]:
        """What was assumed about resize calls and read as tied weights."""
        notes = []
        for how, rows in self.resized.items():
            shown = _listed(rows)
            notes.append(f"{len(rows)} Resize {how} ({shown}); docs/onnx.md: resize_as")
        if self.tying.tied:
            shown = _listed(self.tying.tied)
            notes.append(f"{len(self.tying.tied)} layers reuse an earlier layer's weight "
                         f"tensors ({shown}): parameters counted once (tied={self.tying.rule}; "
                         "--set tied=none counts them per layer)")
        if self.tying.partial:
            shown = _listed(self.tying.partial)
            notes.append(f"{len(self.tying.partial)} layers read some weight tensors of an "
                         f"earlier layer, not all of them ({shown}): counted in full")
        return notes

    # ------------------------------------------------------------------ helpers
    def is_tensor(self, name: str) -> bool:
        return name in self.tensors

    def attrs(self, node) -> dict:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def value(self, name: str) -> list | None:
        return self.values.get(name) if name else None

    def only_reader(self, name: str):
        readers = self.readers.get(name, [])
        return readers[0] if len(readers) == 1 and readers[0] is not None else None

    def unique(self, node) -> str:
        path = module_path(node.name)
        op = node.op_type.lower()
        base = ".".join(path) if path else (node.name.strip("/") or op)
        # Candidates base, base.op, base.op3, ... in turn; names are never freed, so the next
        # search for this base and op resumes where the last one stopped (many unnamed nodes of
        # one op would otherwise make every search longer than the one before).
        n = self.tried.get((base, op), 1)
        name = base if n == 1 else f"{base}.{op}" if n == 2 else f"{base}.{op}{n}"
        while name in self.names:
            n += 1
            name = f"{base}.{op}" if n == 2 else f"{base}.{op}{n}"
        self.tried[(base, op)] = n
        self.names.add(name)
        return name

    def shape_of(self, name: str) -> Shape | None:
        """The C x H x W shape of an ONNX tensor (a channels-last one read as NHWC)."""
        dims = self.dims.get(name)
        if dims and name in self.tokens and len(dims) == 4 and dims[0] == 1 and \
                all(isinstance(d, int) and d > 0 for d in dims):
            return Tokens(dims[3], dims[1], dims[2])  # a grid [1, H, W, D] or groups [1, G, n, D]
        if dims and name in self.nhwc and len(dims) == 4:
            dims = [dims[0], dims[3], dims[1], dims[2]]
        if dims and name in self.tokens and len(dims) == 3 and dims[0] == 1 and \
                all(isinstance(d, int) and d > 0 for d in dims):
            return Tokens(dims[2], dims[1], 1)
        return _shape(dims) if dims else None

    def channel_last(self, name: str, axis: int) -> bool:
        """Whether ``axis`` of the channels-last tensor ``name`` is its channel axis."""
        return name in self.nhwc and axis in (-1, 3)

    def out_shape(self, node, index: int = 0) -> Shape:
        dims = self.dims.get(node.output[index])
        shape = self.shape_of(node.output[index])
        if shape is None:
            raise self.error(node, f"output shape {dims} not inferred as a batch-1 tensor of "
                                   "rank 2 to 4")
        return shape

    def check(self, node, result: Tensor, index: int = 0) -> None:
        """The kind's shape must be the one ONNX inferred: a mismatch is a mapping error."""
        expected = self.out_shape(node, index)
        if not _same(result.shape, expected):
            raise self.error(node, f"costcalc's shape {result.shape.text()} differs from the "
                                   f"inferred {expected.text()}")

    def node(self, node) -> None:
        ins = [n for n in node.input if n]
        if node.op_type in SHAPE_ONLY or not any(self.is_tensor(n) for n in ins):
            self.fold(node)
            return
        path = module_path(node.name)
        with ExitStack() as stack:
            group = _group(path)
            self.builder.group = ".".join(group) if group else None
            for depth in range(1, len(path) + 1):
                stack.enter_context(self.builder.block(".".join(path[:depth]), "module"))
            if node.op_type in KEEPS_LAYOUT and any(n in self.tokens for n in ins):
                self.tokens.update(node.output)
            match = self.patterns.get(id(node))
            start, done = len(self.builder.nodes), len(self.done.log)
            handler = getattr(self, "op_" + node.op_type, None)
            try:  # every error of a node (its kind's limits too) names the file and the node
                if match is not None and self.is_tensor(match.x):
                    self.pattern(node, match)
                elif handler is None:
                    self.unknown_op(node)
                else:
                    handler(node, self.unique(node))
            except SpecError as exc:
                if exc.path is not None:
                    raise
                raise self.error(node, exc.message) from None
            self.tie(node, start, done)

    def tie(self, node, start: int, done: int) -> None:
        """The rows just built from ``node`` (and the nodes it absorbed) reuse an earlier
        layer's weights when they read exactly its weight tensors (onnx_calls.Tying)."""
        rows = self.builder.nodes[start:]
        if rows:
            absorbed = [self.by_id[i] for i in self.done.log[done:]]
            self.tying.apply([node, *absorbed], rows, self.calls.module(node))

    def pattern(self, first, match) -> None:
        """One row for a layer the exporter wrote as several ops (onnx_patterns)."""
        name = self.unique(first)
        x = self.tensors[match.x]
        fields = dict(match.fields)
        if match.kind == "layer_norm" and match.fields.get("over") == "all":
            if match.x in self.nhwc or x.shape.tokens:
                return self.unknown_op(first, f"a LayerNorm written as ReduceMean ... Sqrt, Div "
                                              f"over axes {match.axes} of a channels-last map "
                                              "or tokens has no layer kind", name)
        elif match.kind == "layer_norm":
            if len(match.axes) != 1 or not self.is_channel_axis(match.x, match.axes[0]):
                return self.unknown_op(first, f"a LayerNorm written as ReduceMean ... Sqrt, Div "
                                              f"over axis {', '.join(map(str, match.axes))}: "
                                              "only over the channels or over all of C, H and "
                                              "W has a layer kind", name)
            fields["channels_last"] = match.x in self.nhwc and not self.permuted_around(match)
        if match.kind == "unknown":  # a layer's structure, in a form its kind does not count
            return self.unknown_region(first, match, name)
        if (match.kind == "to_map" and not x.shape.tokens) or \
                (match.kind == "to_tokens" and (x.shape.tokens or match.x in self.nhwc)):
            # a rank-6 view chain that only looks like a partition: read op by op (its Reshape)
            return self.op_Reshape(first, name)
        if match.kind in ("attention", "patch_merging") and not x.shape.tokens:
            return self.unknown_op(first, f"{'an' if match.kind == 'attention' else 'a'} "
                                          f"{match.kind} over a {x.shape.text()} tensor that "
                                          "is not tokens", name)
        self.done.update(id(n) for n in match.nodes)
        note = getattr(match, "note", None)
        if note:
            self.pattern_notes[note] = self.pattern_notes.get(note, 0) + 1
        start = len(self.builder.nodes)
        y = self.builder.call(match.kind, x, name, **fields)
        for role, onnx_name in getattr(match, "sizes", {}).items():
            # sizes the kind derives (padded tokens, windows) must be the file's
            wanted = self.dims.get(onnx_name) or ["?"]
            for made in self.builder.nodes[start:]:
                if made.role == role and (not all(isinstance(d, int) for d in wanted) or
                                          made.shape.elements != math.prod(wanted)):
                    raise self.error(first, f"costcalc's {role} {made.shape.text()} differs "
                                            f"from the file's {wanted}")
        if y.shape.tokens:
            self.tokens.add(match.out)
        expected = self.shape_of(match.out)
        if expected is None or not _same(y.shape, expected):
            raise self.error(first, f"costcalc's shape {y.shape.text()} differs from the "
                                    f"inferred {expected.text() if expected else None}")
        self.tensors[match.out] = y

    def unknown_region(self, first, match, name: str) -> None:
        """An error naming the region's first node, or with --allow-unknown one zero row for
        the whole region."""
        if not self.allow_unknown:
            raise self.error(first, match.fields["why"] + " (--allow-unknown counts it as a "
                                                          "named zero-cost row)")
        self.done.update(id(n) for n in match.nodes)
        x = self.tensors[match.x]
        if x.shape.tokens:
            self.tokens.add(match.out)
        shape = self.out_shape(self.producers[match.out])
        if _same(x.shape, shape):  # tokens keep their grid
            shape = x.shape
        self.tensors[match.out] = self.builder.add_node(
            name, "unknown", (x,), shape, {}, op=first.op_type, op_class="other",
            input=x.shape)
        self.unknown.append(f"{name} ({first.op_type}: {match.fields['why']})")

    def permuted_around(self, match) -> bool:
        """Whether a match is the whole of what lies between Transpose(0, 2, 3, 1) and
        Transpose(0, 3, 1, 2): torchvision's LayerNorm2d, not nn.LayerNorm on a channels-last
        map."""
        ids = {id(n) for n in match.nodes}
        before = self.producers.get(match.x)
        after = self.only_reader(match.out)
        return before is not None and before.op_type == "Transpose" and \
            self.attrs(before).get("perm") == TO_NHWC and \
            all(id(n) in ids for n in self.readers.get(match.x, [])) and \
            after is not None and after.op_type == "Transpose" and \
            self.attrs(after).get("perm") == TO_NCHW

    def fold(self, node) -> None:
        """Shape computations and constants: no row; small values kept for later readers."""
        attrs = self.attrs(node)
        if node.op_type == "Constant" and "value" in attrs:
            tensor = attrs["value"]
            self.consts[node.output[0]] = list(tensor.dims)
            value = self._array(tensor) if math.prod(tensor.dims) <= SMALL else None
            if value is not None:
                self.values[node.output[0]] = value
        for key in ("value_float", "value_int", "value_floats", "value_ints"):
            if node.op_type == "Constant" and key in attrs:
                value = attrs[key]
                self.values[node.output[0]] = list(value) if key.endswith("s") else [value]
        for out in node.output:
            dims = self.dims.get(out)
            if out not in self.values and dims is not None:
                self.consts.setdefault(out, dims)

    def unknown_op(self, node, why: str = "", name: str | None = None) -> None:
        if not self.allow_unknown:
            raise self.error(node, (why or "no costcalc layer kind for this op") +
                             " (--allow-unknown counts it as a named zero-cost row)")
        name = name or self.unique(node)
        x = self.tensors[next(n for n in node.input if self.is_tensor(n))]
        for index, out in enumerate(node.output):
            shape = self.out_shape(node, index)
            self.tensors[out] = self.builder.add_node(name if index == 0 else f"{name}.{index}",
                                                      "unknown", (x,), shape, {}, op=node.op_type,
                                                      op_class="other", input=x.shape)
        self.unknown.append(f"{name} ({node.op_type})")

    def follow(self, out: str) -> tuple[str, str, str]:
        """The activation read only after ``out`` (or Mul(out, gate(out))): (fn, its output)."""
        reader = self.only_reader(out)
        readers = self.readers.get(out, [])
        if reader is not None:
            fn = self.act_fn(reader)
            if fn:
                self.done.add(id(reader))
                return fn, reader.output[0]
        if len(readers) == 2 and None not in readers:
            gate = next((r for r in readers if r.op_type in ("Sigmoid", "HardSigmoid")), None)
            mul = next((r for r in readers if r.op_type == "Mul"), None)
            if gate is not None and mul is not None and set(mul.input) == {out, gate.output[0]} \
                    and self.only_reader(gate.output[0]) is mul:
                self.done.update((id(gate), id(mul)))
                return ("swish" if gate.op_type == "Sigmoid" else "hswish"), mul.output[0]
        return "none", out

    def act_fn(self, node) -> str | None:
        if node.op_type in ACT_OPS:
            return ACT_OPS[node.op_type]
        if node.op_type == "Clip":
            low, high = self.clip_bounds(node)
            if low == 0 and high == 6:
                return "relu6"
            if low == 0 and high is None:
                return "relu"
        return None

    def clip_bounds(self, node):
        attrs = self.attrs(node)
        if "min" in attrs or "max" in attrs:
            return attrs.get("min"), attrs.get("max")
        bounds = []
        for index in (1, 2):
            name = node.input[index] if len(node.input) > index else ""
            value = self.value(name)
            bounds.append(value[0] if value else None)
        return tuple(bounds)

    # ------------------------------------------------------------------ ops
    def op_Conv(self, node, name):
        attrs = self.attrs(node)
        x = self.tensors[node.input[0]]
        weight = self.consts.get(node.input[1])
        if weight is None or len(weight) != 4:
            raise self.error(node, "needs a 4-d weight initializer (2-d convolution)")
        out, _, kh, kw = weight
        kernel = attrs.get("kernel_shape", [kh, kw])
        strides = attrs.get("strides", [1, 1])
        dilations = attrs.get("dilations", [1, 1])
        if kernel[0] != kernel[1] or strides[0] != strides[1] or dilations[0] != dilations[1]:
            raise self.error(node, f"kernel {kernel}, strides {strides}, dilations {dilations}: "
                                   "costcalc's conv is square")
        padding = self.padding(node, attrs, kernel[0], strides[0], dilations[0])
        bias = len(node.input) > 2 and node.input[2] in self.params
        bn = False
        y_name = node.output[0]
        reader = self.only_reader(y_name)
        if reader is not None and reader.op_type == "BatchNormalization" and \
                self.norm_affine(reader, out) == (True, True):
            # (a BN without learned scale and shift stays a row of its own, ``affine: false``)
            bn, y_name = True, reader.output[0]
            self.done.add(id(reader))
        fn, y_name = self.follow(y_name)
        if bias and not bn:
            self.folded.append(name)
        # the conv kind's own build, with squeeze-and-excite convs classed as such
        y = conv_unit(self.builder, x, name, out=out, kernel=kernel[0], stride=strides[0],
                      padding=padding, dilation=dilations[0], groups=attrs.get("group", 1),
                      bias=bias, bn=bn, act=fn,
                      op_class="se" if id(node) in self.se_convs else None)
        self.check(node, y)
        self.tensors[y_name] = y

    def padding(self, node, attrs, kernel, stride, dilation):
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            return "same"
        if auto == "VALID":
            return "valid"
        pads = attrs.get("pads", [0, 0, 0, 0])
        if len(set(pads)) == 1:
            return pads[0]
        # Asymmetric pads (TF's SAME): costcalc's 'same' rule when the inferred size is its size.
        x = self.tensors[node.input[0]].shape
        out = self.out_shape(node)
        if (out.h, out.w) == (-(-x.h // stride), -(-x.w // stride)):
            return "same"
        raise self.error(node, f"asymmetric pads {pads} that are not SAME padding")

    def op_BatchNormalization(self, node, name):
        x = self.tensors[node.input[0]]
        affine, _ = self.norm_affine(node, x.shape.c)
        y = self.builder.call("bn", x, name, affine=affine)
        self.tensors[node.output[0]] = y

    def norm_affine(self, node, pairs, scale_only: bool = False) -> tuple[bool, bool]:
        """(affine, shift) of a norm from which of its scale and bias inputs (1 and 2) are
        learned: torch writes a norm without affine parameters with Constant ones and zeros, and
        nn.LayerNorm(bias=False) with a Constant zero bias. Each learned one must hold ``pairs``
        values; a shift without a scale (or, unless ``scale_only``, a scale without a shift)
        has no layer kind."""
        names = [node.input[i] if len(node.input) > i else "" for i in (1, 2)]
        for n in names:
            if n in self.derived:
                raise self.error(node, f"{n!r} is computed from learned tensors by "
                                       f"{self.producers[n].op_type}: no layer kind counts "
                                       "their parameters")
        scale, shift = (n in self.params for n in names)
        for n in names:
            if n in self.params and math.prod(self.consts.get(n, [0])) != pairs:
                raise self.error(node, f"a learned {n!r} of shape {self.consts.get(n)}: the norm "
                                       f"has {pairs} values per scale and per shift")
        if shift and not scale or scale and not shift and not scale_only:
            raise self.error(node, f"a learned {'shift' if shift else 'scale'} without a "
                                   f"learned {'scale' if shift else 'shift'}: no layer kind "
                                   "counts it")
        return scale, shift

    def op_Gemm(self, node, name):
        attrs = self.attrs(node)
        if attrs.get("transA", 0):
            raise self.error(node, "transA=1: the activation must be the left operand")
        weight = self.consts.get(node.input[1])
        if weight is None or len(weight) != 2:
            raise self.error(node, "needs a 2-d weight initializer B")
        out = weight[0] if attrs.get("transB", 0) else weight[1]
        # a learned C (a constant one, or C times beta = 0, adds no parameters)
        bias = len(node.input) > 2 and node.input[2] in self.params and \
            attrs.get("beta", 1.0) != 0
        self.linear(node, name, out, bias)

    def op_MatMul(self, node, name):
        weight = self.consts.get(node.input[1])
        if self.is_tensor(node.input[0]) and self.is_tensor(node.input[1]):
            return self.matmul(node, name)
        if weight is None or not self.is_tensor(node.input[0]):
            return self.unknown_op(node, "a MatMul of a constant by an activation has no layer "
                                         "kind", name)
        if len(weight) != 2:
            raise self.error(node, f"weight of shape {weight}: only 2-d weights are linear layers")
        out = weight[1]
        bias = False
        reader = self.only_reader(node.output[0])
        y_name = node.output[0]
        if reader is not None and reader.op_type == "Add":
            other = [n for n in reader.input if n != y_name]
            if len(other) == 1 and other[0] in self.consts and \
                    math.prod(self.consts[other[0]]) == out:
                bias, y_name = True, reader.output[0]
                self.done.add(id(reader))
        self.linear(node, name, out, bias, y_name)

    def matmul(self, node, name):
        """A MatMul of two activations (attention's Q K^T and scores V outside a recognised
        attention): ``matmul``, on batches of matrices (a 4-d map [1, B, n, k]) or tokens."""
        a, b = (self.tensors[n] for n in node.input[:2])
        ranks = [len(self.dims.get(n, [])) for n in node.input[:2]]
        if not all(t.shape.tokens or r == 4 for t, r in zip((a, b), ranks)):
            return self.unknown_op(node, f"a MatMul of {a.shape.text()} by {b.shape.text()}: "
                                         "only batches of matrices ([1, B, n, k]) and tokens "
                                         "multiply as matmul", name)
        if a.shape.tokens:
            self.tokens.add(node.output[0])
        y = self.builder.call("matmul", [a, b], name)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def linear(self, node, name, out, bias, y_name=None):
        x = self.tensors[node.input[0]]
        per_position = node.input[0] in self.nhwc
        if x.shape.tokens:
            fn, y_name = self.follow(y_name or node.output[0])
            y = self.builder.call("linear", x, name, out=out, bias=bias, act=fn)
            self.check(node, y)
            self.tensors[y_name] = y
            return
        if (x.shape.h, x.shape.w) != (1, 1) and not per_position:
            # a MatMul on [1, T, C] (transformers) or over the W axis of an NCHW map: not a
            # linear over the channels, which the linear kind counts
            return self.unknown_op(node, f"a linear layer on a {x.shape.text()} activation "
                                         "that is not channels-last has no layer kind", name)
        fn, y_name = self.follow(y_name or node.output[0])
        fields = {"per_position": True} if per_position else {}
        y = self.builder.call("linear", x, name, out=out, bias=bias, act=fn, **fields)
        self.check(node, y)
        self.tensors[y_name] = y

    def activation(self, node, name, fn):
        x = self.tensors[node.input[0]]
        self.tensors[node.output[0]] = self.builder.call("activation", x, name, fn=fn)

    def op_Relu(self, node, name):
        self.activation(node, name, "relu")

    def op_Sigmoid(self, node, name):
        fn, y_name = self.swish(node, "swish")
        self.activation_to(node, name, fn, y_name)

    def op_HardSigmoid(self, node, name):
        fn, y_name = self.swish(node, "hswish")
        self.activation_to(node, name, fn, y_name)

    def swish(self, node, fn):
        """Mul(x, gate(x)) as one activation when the gate has no other reader."""
        mul = self.only_reader(node.output[0])
        x = node.input[0]
        if mul is not None and mul.op_type == "Mul" and set(mul.input) == {x, node.output[0]}:
            self.done.add(id(mul))
            return fn, mul.output[0]
        return ACT_OPS[node.op_type], node.output[0]

    def activation_to(self, node, name, fn, y_name):
        x = self.tensors[node.input[0]]
        self.tensors[y_name] = self.builder.call("activation", x, name, fn=fn)

    def op_HardSwish(self, node, name):
        self.activation(node, name, "hswish")

    def op_Clip(self, node, name):
        fn = self.act_fn(node)
        if fn is None:
            low, high = self.clip_bounds(node)
            self.unknown_op(node, f"Clip({low}, {high}) is neither ReLU nor ReLU6", name)
            return
        self.activation(node, name, fn)

    def binary(self, node, name, key):
        """Add/Sub/Mul/Div: one element-wise op per output element (a gate broadcast too)."""
        a, b = node.input[0], node.input[1]
        shape = self.out_shape(node)
        if self.is_tensor(a) and self.is_tensor(b):
            ta, tb = self.tensors[a], self.tensors[b]
            if key == q.ADD and ta.shape == tb.shape:
                fn, y_name = self.follow(node.output[0])
                y = add_merge(self.builder, [ta, tb], name, act=fn)
                self.tensors[y_name] = y
                return
            if key == q.MUL and ta.shape != tb.shape and tb.shape == Shape(ta.shape.c, 1, 1):
                self.tensors[node.output[0]] = self.gated(ta, tb, name)
                return
            if key == q.MUL and ta.shape != tb.shape and ta.shape == Shape(tb.shape.c, 1, 1):
                self.tensors[node.output[0]] = self.gated(tb, ta, name)
                return
            inputs = (ta, tb)
        else:
            inputs = (self.tensors[a if self.is_tensor(a) else b],)
            if shape == inputs[0].shape:
                # x + c, x * c with a constant c (not learned): one op per element, no params
                kind = "bias" if key == q.ADD else "layer_scale"
                self.tensors[node.output[0]] = self.builder.call(kind, inputs[0], name,
                                                                 learned=False)
                return
        kind = "add" if key == q.ADD else "scale"
        y = self.builder.add_node(name, kind, inputs, shape, {key: shape.elements},
                                  op=node.op_type, op_class="other", input=inputs[0].shape)
        self.tensors[node.output[0]] = y

    def gated(self, x, gate, name):
        """x times a C x 1 x 1 gate: squeeze-and-excite's ``scale`` when an SE conv made the
        gate, else a broadcast ``multiply`` (LR-ASPP's gate), as a spec writes each."""
        if gate.node >= 0 and self.builder.nodes[gate.node].info.get("op_class") == "se":
            return scale_merge(self.builder, x, gate, name)
        return self.builder.call("multiply", [x, gate], name)

    def op_Add(self, node, name):
        if not self.pos_embed(node, name) and not self.learned_operand(node, name, "bias"):
            self.binary(node, name, q.ADD)

    def pos_embed(self, node, name) -> bool:
        """Tokens plus a learned [1, N, D] initializer: ``pos_embed`` (N D params)."""
        for x, table in (node.input, node.input[::-1]):
            if x in self.tokens and self.is_tensor(x) and table in self.params:
                shape = self.tensors[x].shape
                dims = list(self.consts.get(table, []))
                if dims[:1] == [1]:
                    dims = dims[1:]
                if dims == [shape.h * shape.w, shape.c]:
                    y = self.builder.call("pos_embed", self.tensors[x], name)
                    self.check(node, y)
                    self.tensors[node.output[0]] = y
                    return True
        return False

    def op_Sum(self, node, name):
        inputs = [self.tensors.get(n) for n in node.input]
        if None in inputs or len({t.shape for t in inputs}) != 1:
            return self.unknown_op(node, "only a Sum of equal-shaped activations is known", name)
        fn, y_name = self.follow(node.output[0])
        self.tensors[y_name] = add_merge(self.builder, inputs, name, act=fn)

    def op_Sub(self, node, name):
        if not self.learned_operand(node, name, "bias"):
            self.binary(node, name, q.ADD)

    def op_Mul(self, node, name):
        if not self.learned_operand(node, name, "layer_scale"):
            self.binary(node, name, q.MUL)

    def learned_operand(self, node, name, kind: str) -> bool:
        """An activation and a learned tensor (``learned``) in an element-wise op: one value per
        channel (C x 1 x 1, or C on a channels-last map, tokens or a vector) is a ``bias`` (Add,
        Sub) or a ``layer_scale`` (Mul, Div: ConvNeXt's gammas), whose C values are parameters.
        A learned tensor of another shape is an error naming the node, never a free
        element-wise op."""
        if len(node.input) != 2:
            return False
        for x, param in (node.input, node.input[::-1]):
            if self.is_tensor(x) and param in self.derived:
                self.unknown_op(node, f"{node.op_type} of {param!r}, computed from learned "
                                      f"tensors by {self.producers[param].op_type}: no layer "
                                      "kind counts their parameters", name)
                return True
            if not self.is_tensor(x) or param not in self.params:
                continue
            dims = list(self.consts.get(param, []))
            while dims and dims[0] == 1:
                dims.pop(0)
            c = self.tensors[x].shape.c
            rank = len(self.dims.get(x, []))
            wanted = [c] if x in self.nhwc or x in self.tokens or rank == 2 else [c, 1, 1]
            if dims != wanted:
                self.unknown_op(node, f"{node.op_type} of a learned tensor {param!r} of shape "
                                      f"{self.consts.get(param)}: only one value per channel "
                                      f"({'x'.join(map(str, wanted))}) has a layer kind ({kind})",
                                name)
                return True
            y = self.builder.call(kind, self.tensors[x], name)
            self.check(node, y)
            self.tensors[node.output[0]] = y
            return True
        return False

    def op_Div(self, node, name):
        if not self.gelu_erf(node, name) and not self.learned_operand(node, name, "layer_scale"):
            self.binary(node, name, q.MUL)

    def constant(self, name: str, wanted: float) -> bool:
        """Whether ``name`` is a one-value constant equal to ``wanted`` (to float32 rounding):
        a pattern's marker, never a count."""
        value = self.value(name)
        return value is not None and len(value) == 1 and \
            math.isclose(value[0], wanted, rel_tol=1e-6)

    def gelu_erf(self, div, name) -> bool:
        """x * 0.5 * (1 + Erf(x / sqrt 2)) as exported below opset 20 (Div, Erf, Add, Mul, Mul,
        each the only reader of the one before): one exact ``gelu`` row."""
        x = div.input[0]
        if not self.is_tensor(x) or not self.constant(div.input[1], math.sqrt(2)):
            return False
        chain, out = [], div.output[0]
        for op in ("Erf", "Add", "Mul", "Mul"):
            reader = self.only_reader(out)
            if reader is None or reader.op_type != op:
                return False
            chain.append(reader)
            out = reader.output[0]
        erf, add, mul, half = chain
        other = [n for n in add.input if n != erf.output[0]]
        if len(other) != 1 or not self.constant(other[0], 1.0) or \
                set(mul.input) != {x, add.output[0]}:
            return False
        other = [n for n in half.input if n != mul.output[0]]
        if len(other) != 1 or not self.constant(other[0], 0.5):
            return False
        self.done.update(id(n) for n in chain)
        y = self.builder.call("gelu", self.tensors[x], name)
        if y.shape.tokens:
            self.tokens.add(half.output[0])
        self.check(half, y)
        self.tensors[half.output[0]] = y
        return True

    def op_Concat(self, node, name):
        if self.class_token(node, name):
            return
        inputs = [self.tensors[n] for n in node.input if self.is_tensor(n)]
        rank = len(self.dims.get(node.output[0], []))
        axis = self.attrs(node).get("axis", 1)
        if len(inputs) != len([n for n in node.input if n]) or axis not in (1, 1 - rank):
            return self.unknown_op(node, "only a concat of activations along channels is known",
                                   name)
        y = concat_merge(self.builder, inputs, name)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def class_token(self, node, name) -> bool:
        """Concat(Expand(a [1, 1, D] initializer), tokens) along the tokens: ``class_token``."""
        if len(node.input) != 2 or not self.is_tensor(node.input[1]) or \
                node.input[1] not in self.tokens or self.attrs(node).get("axis") not in (1, -2):
            return False
        source = self.producers.get(node.input[0])
        param = source.input[0] if source is not None and source.op_type == "Expand" else \
            node.input[0]
        x = self.tensors[node.input[1]]
        if param not in self.params or self.consts.get(param) not in ([1, 1, x.shape.c],
                                                                      [1, x.shape.c]):
            return False
        self.tokens.add(node.output[0])
        y = self.builder.call("class_token", x, name)
        if self.shape_of(node.output[0]) is not None:
            # unknown when the exporter expands the token to a shape computed at run time
            self.check(node, y)
        self.tensors[node.output[0]] = y
        return True

    def op_Gather(self, node, name):
        """x[:, i] of tokens (ViT's class token for the head): ``take_token``."""
        index = self.value(node.input[1]) if len(node.input) > 1 else None
        x = node.input[0]
        if x not in self.tokens or self.attrs(node).get("axis", 0) not in (1, -2) or \
                index is None or len(index) != 1 or \
                len(self.dims.get(node.output[0], [])) != 2:
            return self.unknown_op(node, "only a Gather of one token ([1, N, D] -> [1, D]) "
                                         "has a layer kind", name)
        n = self.tensors[x].shape.h * self.tensors[x].shape.w
        y = self.builder.call("take_token", self.tensors[x], name, index=int(index[0]) % n)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def op_Split(self, node, name):
        x = self.tensors[node.input[0]]
        axis = self.attrs(node).get("axis", 0)
        if axis not in (1, -3 if len(self.dims.get(node.input[0], [])) == 4 else 1):
            return self.unknown_op(node, "only a split along channels is known", name)
        parts = len(node.output)
        for index, out in enumerate(node.output):
            shape = self.out_shape(node, index)
            if shape.c * parts == x.shape.c and all(
                    self.out_shape(node, i).c == shape.c for i in range(parts)):
                y = self.builder.call("channel_split", x, f"{name}.{index}", parts=parts,
                                      index=index)
            else:
                y = self.builder.add_node(f"{name}.{index}", "channel_split", (x,), shape, {},
                                          op_class="other", input=x.shape)
            self.tensors[out] = y

    def view(self, node, name, kind="identity"):
        """A row of a free kind with the inferred shape. Reshape, Transpose, Squeeze and
        Unsqueeze that leave C x H x W as it was ([1, C, 1, 1] -> [1, C]) only rename the tensor:
        no row, as a spec writes no layer for them."""
        x = self.tensors[node.input[0]]
        if x.shape.tokens and len(self.dims.get(node.output[0], [])) == 3:
            # [1, N, D] tokens transposed or regrouped to [1, a, b]: a rows of width b, as
            # tokens (K^T of a matmul on tokens)
            self.tokens.add(node.output[0])
        shape = self.out_shape(node)
        if node.op_type in VIEWS and node.op_type != "Flatten" and shape == x.shape:
            self.tensors[node.output[0]] = x
            self.names.discard(name)
            return
        self.tensors[node.output[0]] = self.builder.add_node(
            name, kind, (x,), shape, {}, op=node.op_type, op_class="other", input=x.shape)

    def op_Reshape(self, node, name):
        x = self.tensors[node.input[0]]
        dims = self.dims.get(node.output[0], [])
        # Reshape -> Transpose -> Reshape back to the same shape: a channel shuffle.
        transpose = self.only_reader(node.output[0])
        back = self.only_reader(transpose.output[0]) if transpose is not None and \
            transpose.op_type == "Transpose" else None
        if back is not None and back.op_type == "Reshape" and len(dims) == 5 and \
                _shape(self.dims.get(back.output[0], [])) == x.shape:
            self.done.update((id(transpose), id(back)))
            self.tensors[back.output[0]] = self.builder.call("channel_shuffle", x, name,
                                                             groups=dims[1])
            return
        if len(dims) > 4 and self.view_chain(node, name):
            return
        if self.to_tokens(node, name):
            return
        self.view(node, name, "flatten" if len(dims) == 2 else "identity")

    def to_tokens(self, node, name) -> bool:
        """Reshape [1, C, H, W] -> [1, C, H W] then Transpose(0, 2, 1) (``x.flatten(2)
        .transpose(1, 2)``, ViT's patch embedding): ``to_tokens``, H W tokens of width C."""
        x = self.tensors[node.input[0]]
        dims = self.dims.get(node.output[0], [])
        transpose = self.only_reader(node.output[0])
        if x.shape.tokens or len(self.dims.get(node.input[0], [])) != 4 or \
                node.input[0] in self.nhwc or \
                dims != [1, x.shape.c, x.shape.h * x.shape.w] or transpose is None or \
                transpose.op_type != "Transpose" or self.attrs(transpose).get("perm") != [0, 2, 1]:
            return False
        self.done.add(id(transpose))
        self.tokens.add(transpose.output[0])
        y = self.builder.call("to_tokens", x, name)
        self.check(transpose, y)
        self.tensors[transpose.output[0]] = y
        return True

    def view_chain(self, node, name) -> bool:
        """Reshape to rank 5 or more, then Transposes and Reshapes (each the only reader of the
        one before) until rank 4 or less: one free view from the first input to the last output
        (SSD's heads: [1, A K, H, W] -> [1, A, K, H, W] -> [1, H, W, A, K] -> [1, H W A, K])."""
        chain, out = [], node.output[0]
        while len(self.dims.get(out, [])) > 4:
            reader = self.only_reader(out)
            if reader is None or reader.op_type not in ("Reshape", "Transpose") or \
                    reader.input[0] != out:
                return False
            chain.append(reader)
            out = reader.output[0]
        self.done.update(id(n) for n in chain)
        last = chain[-1]
        x = self.tensors[node.input[0]]
        shape = self.out_shape(last)
        self.tensors[out] = self.builder.add_node(name, "flatten" if len(self.dims[out]) == 2
                                                  else "identity", (x,), shape, {},
                                                  op=node.op_type, op_class="other",
                                                  input=x.shape)
        return True

    def op_Flatten(self, node, name):
        self.view(node, name, "flatten")

    def op_Transpose(self, node, name):
        perm = self.attrs(node).get("perm")
        x = node.input[0]
        rank = len(self.dims.get(x, []))
        if x in self.tokens and rank == 4 and onnx_windows.token_permute(self, node, name, perm):
            return
        if x not in self.nhwc and rank == 4 and perm == TO_NHWC and \
                self.layer_norm_2d(node, name):
            return
        if (x in self.nhwc and perm == TO_NCHW) or node.output[0] in self.nhwc:
            # NCHW <-> NHWC: the same tensor, held channels-last or back; no row (a permute
            # moves data but costs nothing in any convention)
            self.tensors[node.output[0]] = self.tensors[x]
            self.names.discard(name)
            return
        self.view(node, name)

    def op_Squeeze(self, node, name):
        self.view(node, name)

    def op_Unsqueeze(self, node, name):
        self.view(node, name)

    def op_Slice(self, node, name):
        self.view(node, name, "channel_split")

    def op_Pad(self, node, name):
        self.view(node, name)

    def op_Identity(self, node, name):
        self.view(node, name, "identity")

    def op_Dropout(self, node, name):
        self.view(node, name, "dropout")

    def op_GlobalAveragePool(self, node, name):
        # F.adaptive_avg_pool2d (torchvision's MobileNet v2) where the exporter marks a function
        y = global_avg_pool_node(self.builder, self.tensors[node.input[0]], name,
                                 functional=self.calls.call(node) == "function")
        self.tensors[node.output[0]] = y

    def op_ReduceMean(self, node, name):
        axes = self.attrs(node).get("axes")
        if axes is None and len(node.input) > 1:
            axes = self.value(node.input[1])
        rank = len(self.dims.get(node.input[0], []))
        if rank != 4 or sorted(a % 4 for a in (axes or [])) != [2, 3]:
            return self.unknown_op(node, f"ReduceMean over axes {axes}: only the spatial "
                                         "mean is known", name)
        x = self.tensors[node.input[0]]
        # torch exports x.mean([2, 3]) as ReduceMean: a tensor mean, as counters see it; the
        # dynamo exporter nn.AdaptiveAvgPool2d(1) too, marked as that module (onnx_calls)
        module = self.calls.marked_module(node)
        y = global_avg_pool_node(self.builder, x, name, functional=False if module else "mean")
        self.tensors[node.output[0]] = y

    def pool(self, node, name, kind):
        attrs = self.attrs(node)
        kernel = attrs.get("kernel_shape", [1, 1])
        strides = attrs.get("strides", [1, 1])
        if kernel[0] != kernel[1] or strides[0] != strides[1] or \
                any(d != 1 for d in attrs.get("dilations", [1, 1])):
            return self.unknown_op(node, f"kernel {kernel}, strides {strides}: costcalc's pools "
                                         "are square", name)
        padding = self.padding(node, attrs, kernel[0], strides[0], 1)
        # F.max_pool2d / F.avg_pool2d where the exporter marks a function (onnx_calls)
        y = self.builder.call(kind, self.tensors[node.input[0]], name, kernel=kernel[0],
                              stride=strides[0], padding=padding,
                              ceil_mode=bool(attrs.get("ceil_mode", 0)),
                              functional=self.calls.call(node) == "function")
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def op_AveragePool(self, node, name):
        self.pool(node, name, "avgpool")

    def op_MaxPool(self, node, name):
        self.pool(node, name, "maxpool")

    # ------------------------------------------------------------------ norms, gelu, softmax
    def channel_axis(self, node, axis: int) -> bool:
        """Whether ``axis`` of the input is costcalc's channel axis (ONNX's axis 1, the last one
        of a channels-last tensor)."""
        return self.is_channel_axis(node.input[0], axis)

    def is_channel_axis(self, name: str, axis: int) -> bool:
        rank = len(self.dims.get(name, []))
        if name in self.nhwc or name in self.tokens:
            return axis in (-1, rank - 1)
        return rank >= 2 and axis % rank == 1

    def op_LayerNormalization(self, node, name):
        axis = self.attrs(node).get("axis", -1)
        rank = len(self.dims.get(node.input[0], []))
        x = self.tensors[node.input[0]]
        # a [1, C] vector is normalised by nn.LayerNorm (LayerNorm2d permutes a map)
        channels_last = node.input[0] in self.nhwc or rank == 2
        fields = {}
        if (channels_last or node.input[0] in self.tokens) and self.channel_axis(node, axis):
            # a [1, C] vector, or each position of a channels-last map (nn.LayerNorm after a
            # permute, as in ConvNeXt's blocks): normalised over its C values, one row
            pairs = x.shape.c
        elif rank == 4 and not channels_last and axis in (1, -3):
            # over C, H and W together (nn.LayerNorm([C, H, W])): a scale and shift per element
            pairs, fields = x.shape.elements, {"over": "all"}
        else:
            return self.unknown_op(node, f"LayerNormalization over axes {axis}.. of a rank-{rank} "
                                         "tensor: only over the channels (a [1, C] vector, "
                                         "tokens, a channels-last map, or NCHW permuted to NHWC "
                                         "and back) or over all of C, H and W (axis 1) has a "
                                         "layer kind", name)
        affine, shift = self.norm_affine(node, pairs, scale_only=True)
        y = self.builder.call("layer_norm", x, name, affine=affine, bias=shift or not affine,
                              channels_last=channels_last, **fields)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def layer_norm_2d(self, node, transpose_name: str) -> bool:
        """Transpose(0,2,3,1) -> LayerNormalization(last axis) -> Transpose(0,3,1,2), each the
        only reader of the one before: torchvision's LayerNorm2d, one ``layer_norm`` row."""
        if self.attrs(node).get("perm") != [0, 2, 3, 1]:
            return False
        norm = self.only_reader(node.output[0])
        if norm is None or norm.op_type != "LayerNormalization" or \
                self.attrs(norm).get("axis", -1) not in (-1, 3):
            return False
        back = self.only_reader(norm.output[0])
        if back is None or back.op_type != "Transpose" or \
                self.attrs(back).get("perm") != [0, 3, 1, 2]:
            return False
        x = self.tensors[node.input[0]]
        affine, shift = self.norm_affine(norm, x.shape.c, scale_only=True)
        self.done.update((id(norm), id(back)))
        self.names.discard(transpose_name)  # the row takes the norm's name, not the Transpose's
        name = self.unique(norm)
        y = self.builder.call("layer_norm", x, name, affine=affine, bias=shift or not affine)
        self.check(back, y)
        self.tensors[back.output[0]] = y
        return True

    def op_GroupNormalization(self, node, name):
        attrs = self.attrs(node)
        x = self.tensors[node.input[0]]
        groups = attrs["num_groups"]
        scale = self.consts.get(node.input[1]) if len(node.input) > 1 else None
        # opsets 18 to 20 define scale and bias per group, 21 per channel (the same when G = C)
        per = "group" if self.opset < 21 else "channel"
        wanted = groups if per == "group" else x.shape.c
        if scale is None or math.prod(scale) != wanted:
            raise self.error(node, f"a scale of shape {scale}: GroupNormalization at opset "
                                   f"{self.opset} has one per {per} ({wanted})")
        affine, _ = self.norm_affine(node, wanted)
        y = self.builder.call("group_norm", x, name, groups=groups, affine=affine,
                              affine_per="channel" if groups == x.shape.c else per)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def op_InstanceNormalization(self, node, name):
        # scale and B are required inputs: learned (nn.InstanceNorm2d(affine=True)) or Constant
        # ones and zeros (affine=False, as torch writes it)
        x = self.tensors[node.input[0]]
        affine, _ = self.norm_affine(node, x.shape.c)
        y = self.builder.call("instance_norm", x, name, affine=affine)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def op_Tanh(self, node, name):
        y = self.builder.call("tanh", self.tensors[node.input[0]], name)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def op_Gelu(self, node, name):
        approximate = self.attrs(node).get("approximate", b"none")
        approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
        y = self.builder.call("gelu", self.tensors[node.input[0]], name, approximate=approximate)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def op_Softmax(self, node, name):
        axis = self.attrs(node).get("axis", -1)
        if not self.channel_axis(node, axis):
            return self.unknown_op(node, f"Softmax over axis {axis}: only over the channels "
                                         "(axis 1) has a layer kind", name)
        y = self.builder.call("softmax", self.tensors[node.input[0]], name)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    # ------------------------------------------------------------------ upsampling
    def op_ConvTranspose(self, node, name):
        attrs = self.attrs(node)
        x = self.tensors[node.input[0]]
        weight = self.consts.get(node.input[1])
        if weight is None or len(weight) != 4:
            raise self.error(node, "needs a 4-d weight initializer (2-d transposed convolution)")
        groups = attrs.get("group", 1)
        _, per_group, kh, kw = weight
        kernel = attrs.get("kernel_shape", [kh, kw])
        strides = attrs.get("strides", [1, 1])
        dilations = attrs.get("dilations", [1, 1])
        pads = attrs.get("pads", [0, 0, 0, 0])
        extra = attrs.get("output_padding", [0, 0])
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if len({kernel[0], kernel[1]}) != 1 or len(set(strides)) != 1 or \
                len(set(dilations)) != 1 or len(set(pads)) != 1 or len(set(extra)) != 1 or \
                auto != "NOTSET" or "output_shape" in attrs:
            return self.unknown_op(node, f"kernel {kernel}, strides {strides}, pads {pads}, "
                                         f"output_padding {extra}: costcalc's conv_transpose "
                                         "is square with symmetric pads (no auto_pad or "
                                         "output_shape)", name)
        bias = len(node.input) > 2 and node.input[2] in self.params
        fn, y_name = self.follow(node.output[0])
        y = self.builder.call("conv_transpose", x, name, out=per_group * groups,
                              kernel=kernel[0], stride=strides[0], padding=pads[0],
                              output_padding=extra[0], dilation=dilations[0], groups=groups,
                              bias=bias, act=fn)
        self.check(node, y)
        self.tensors[y_name] = y

    def op_Resize(self, node, name):
        attrs = self.attrs(node)
        mode = attrs.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        x = self.tensors[node.input[0]]
        out = self.out_shape(node)
        kinds = {"nearest": "nearest", "linear": "bilinear"}
        whole = out.h % x.shape.h == 0 and out.w % x.shape.w == 0 and \
            out.h // x.shape.h == out.w // x.shape.w
        # a resize to given sizes (F.interpolate(size=...)) or by scales: counters that charge
        # them differently (calflops) see which one the file holds
        by_size = len(node.input) > 3 and bool(node.input[3])
        target = None
        if by_size and out.h != out.w:
            target = next((t for t in reversed(list(self.tensors.values()))
                           if (t.shape.h, t.shape.w) == (out.h, out.w)), None)
        if mode not in kinds or out.c != x.shape.c or not (
                whole if not by_size else out.h == out.w or target is not None):
            return self.unknown_op(node, f"Resize ({mode}) from {x.shape.text()} to "
                                         f"{out.text()}: only nearest and linear resampling by "
                                         "one whole scale or to a size has a layer kind", name)
        functional = self.resize_call(node, name) == "function"
        if not by_size:
            y = self.builder.call("upsample", x, name, scale=out.h // x.shape.h,
                                  mode=kinds[mode], functional=functional)
        elif target is None:
            y = self.builder.call("upsample", x, name, size=out.h, mode=kinds[mode],
                                  functional=functional)
        else:
            y = self.builder.call("upsample", x, name, size_of=target, mode=kinds[mode],
                                  functional=functional)
        self.check(node, y)
        self.tensors[node.output[0]] = y

    def resize_call(self, node, name) -> str:
        """``module`` or ``function``: the ``resize_as`` choice, else the exporter's marks, else
        a module (noted under the report)."""
        if self.resize_as != "auto":
            calls = "nn.Upsample modules" if self.resize_as == "module" else \
                "F.interpolate calls"
            how = f"counted as {calls} (resize_as={self.resize_as})"
            self.resized.setdefault(how, []).append(name)
            return self.resize_as
        found = self.calls.call(node)
        if found is None:
            self.resized.setdefault("with no mark of the call that made them, counted as "
                                    "nn.Upsample modules (--set resize_as=function counts "
                                    "F.interpolate calls)", []).append(name)
            return "module"
        return found


IMPORTER = register_importer(OnnxImporter())
