"""Shapes ONNX's whole-graph inference leaves unknown, found node by node with computed values.

torch writes the size arithmetic of some layers as ops on shapes (Swin's window padding and
shifts: Shape, Gather, Mod, Sub, Concat, Cast, ConstantOfShape, Reshape, Slice, Transpose of
the pads; MaxViT's Q, K, V split: Mul of the slice ends). ONNX's data propagation covers only
a few of those ops, so the padded tensor's shape, and every shape after it, stays symbolic. This
pass walks the nodes in order once, computes the small values of shape arithmetic exactly (numpy
on integers, never on activations), and infers each node whose output is not fully known with
those values as its constant inputs (``onnx.shape_inference.infer_node_outputs``).
"""
from __future__ import annotations

import math

from costcalc.importers import onnx_checks

SMALL = 4096  # values computed and kept only for tensors this small (shapes, pads, indices)


def _static(type_proto) -> bool:
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return False
    return all(d.HasField("dim_value") for d in type_proto.tensor_type.shape.dim)


def unknown_outputs(model) -> bool:
    """Whether some node output has no fully known shape after whole-graph inference."""
    known = {v.name for v in list(model.graph.value_info) + list(model.graph.output) +
             list(model.graph.input) if _static(v.type)}
    known.update(t.name for t in model.graph.initializer)
    return any(out and out not in known for node in model.graph.node for out in node.output)


def resolve(onnx, model) -> dict:
    """Fill the shapes of ``model`` that inference left unknown (in its value_info), in place;
    the small integer values computed on the way are returned by name, flat, for the walk
    (pads, slice bounds, reshape targets)."""
    import numpy as np
    from onnx import helper, numpy_helper, shape_inference

    graph = model.graph
    types: dict = {}
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        if info.name not in types or _static(info.type):
            types[info.name] = info.type
    arrays: dict = {}
    for tensor in graph.initializer:
        types.setdefault(tensor.name, helper.make_tensor_type_proto(tensor.data_type,
                                                                    list(tensor.dims)))
        if math.prod(tensor.dims) <= SMALL and \
                tensor.data_location != onnx.TensorProto.EXTERNAL:
            arrays[tensor.name] = numpy_helper.to_array(tensor)
    opsets = list(model.opset_import)
    version = onnx_checks.opset(model)
    computed: dict = {}
    changed: dict = {}
    for node in graph.node:
        if node.op_type == "Constant":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None and math.prod(value.dims) <= SMALL:
                arrays[node.output[0]] = numpy_helper.to_array(value)
        elif not all(o in types and _static(types[o]) for o in node.output if o):
            _infer(onnx, shape_inference, numpy_helper, node, types, arrays, opsets, version,
                   changed)
        if node.op_type != "Constant":
            result = _evaluate(np, node, types, arrays)
            if result is not None:
                for out, array in zip(node.output, result):
                    if array is not None and array.size <= SMALL:
                        arrays[out] = array
                        if array.dtype.kind in "iub":  # sizes, indices, masks: not weights
                            computed[out] = array.reshape(-1).tolist()
    if changed:
        keep = [v for v in graph.value_info if v.name not in changed]
        del graph.value_info[:]
        graph.value_info.extend(keep)
        outputs = {v.name: v for v in graph.output}
        for name, type_proto in changed.items():
            if name in outputs:
                outputs[name].type.CopyFrom(type_proto)
                continue
            info = graph.value_info.add()
            info.name = name
            info.type.CopyFrom(type_proto)
    return computed


def _infer(onnx, shape_inference, numpy_helper, node, types, arrays, opsets, version, changed):
    try:
        schema = onnx.defs.get_schema(node.op_type, version, node.domain or "")
        inputs = {n: types[n] for n in node.input if n and n in types}
        data = {n: numpy_helper.from_array(arrays[n], n) for n in node.input
                if n in arrays and arrays[n].size <= SMALL}
        found = shape_inference.infer_node_outputs(schema, node, inputs, data,
                                                   opset_imports=opsets)
    except Exception:  # an op inference cannot do node by node: its outputs stay unknown
        return
    for name, type_proto in found.items():
        if _static(type_proto) or name not in types:
            types[name] = type_proto
            if _static(type_proto):
                changed[name] = type_proto


def _dims(types, name) -> list | None:
    type_proto = types.get(name)
    if type_proto is None or not _static(type_proto):
        return None
    return [d.dim_value for d in type_proto.tensor_type.shape.dim]


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            from onnx import helper

            return helper.get_attribute_value(a)
    return default


def _evaluate(np, node, types, arrays):
    """The outputs of ``node`` when it computes on known small values, else None."""
    op = node.op_type
    if op in ("Shape", "Size"):
        dims = _dims(types, node.input[0])
        if dims is None:
            return None
        if op == "Size":
            return [np.array(math.prod(dims), dtype=np.int64)]
        start, end = _attr(node, "start", 0), _attr(node, "end", None)
        return [np.array(dims[start:end], dtype=np.int64)]
    ins = [arrays.get(n) if n else None for n in node.input]
    present = [a for n, a in zip(node.input, ins) if n]
    if not present or any(a is None for a in present):
        return None
    if op not in _OPS or _too_large(np, op, ins):
        return None
    try:
        result = _OPS[op](np, node, ins)
    except Exception:  # values this pass cannot compute: the shapes stay ONNX's
        return None
    if result is None:
        return None
    return [np.asarray(r) for r in (result if isinstance(result, list) else [result])]


BROADCAST = ("Add", "Sub", "Mul", "Div", "Mod", "Min", "Max", "Equal", "Where")


def _too_large(np, op, ins) -> bool:
    """Whether the output would exceed SMALL values (checked before computing: a hostile file
    must not make this pass allocate more than shapes need)."""
    try:
        if op in BROADCAST:
            size = math.prod(np.broadcast_shapes(*(a.shape for a in ins if a is not None)))
        elif op == "ConstantOfShape":
            size = math.prod(int(d) for d in ins[0].reshape(-1))
        elif op == "Expand":
            size = math.prod(np.broadcast_shapes(ins[0].shape,
                                                 tuple(int(d) for d in ins[1].reshape(-1))))
        elif op == "Range":
            start, limit, delta = (float(a) for a in ins[:3])
            size = math.ceil((limit - start) / delta) if delta else SMALL + 1
        else:
            return False
    except (ValueError, TypeError, OverflowError):
        return True
    return not 0 <= size <= SMALL


def _divide(np, node, ins):
    a, b = ins
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype)
    return a / b


def _slice(np, node, ins):
    data, starts, ends = ins[0], ins[1], ins[2]
    axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
    steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[int(axis)] = slice(int(start), int(end), int(step))
    return data[tuple(index)]


def _reshape(np, node, ins):
    data, shape = ins
    target = [int(s) for s in shape]
    if not _attr(node, "allowzero", 0):
        target = [data.shape[i] if s == 0 else s for i, s in enumerate(target)]
    return data.reshape(target)


def _cast(np, node, ins):
    from onnx import helper

    return ins[0].astype(helper.tensor_dtype_to_np_dtype(_attr(node, "to")))


def _axes(node, ins):
    axes = _attr(node, "axes")
    if axes is None and len(ins) > 1 and ins[1] is not None:
        axes = ins[1].tolist()
    return axes


def _unsqueeze(np, node, ins):
    out, axes = ins[0], _axes(node, ins)
    rank = out.ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        out = np.expand_dims(out, axis)
    return out


def _squeeze(np, node, ins):
    axes = _axes(node, ins)
    return np.squeeze(ins[0], axis=tuple(axes) if axes is not None else None)


def _constant_of_shape(np, node, ins):
    value = _attr(node, "value")
    from onnx import numpy_helper

    fill = numpy_helper.to_array(value).reshape(-1)[0] if value is not None else np.float32(0)
    return np.full([int(d) for d in ins[0]], fill, dtype=np.asarray(fill).dtype)


_OPS = {
    "Identity": lambda np, n, i: i[0],
    "Cast": _cast,
    "Gather": lambda np, n, i: np.take(i[0], i[1], axis=_attr(n, "axis", 0)),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": lambda np, n, i: np.concatenate([a for a in i if a is not None],
                                              axis=_attr(n, "axis")),
    "Add": lambda np, n, i: i[0] + i[1],
    "Sub": lambda np, n, i: i[0] - i[1],
    "Mul": lambda np, n, i: i[0] * i[1],
    "Div": _divide,
    "Mod": lambda np, n, i: np.fmod(i[0], i[1]) if _attr(n, "fmod", 0) else np.mod(i[0], i[1]),
    "Neg": lambda np, n, i: -i[0],
    "Min": lambda np, n, i: np.minimum.reduce(i),
    "Max": lambda np, n, i: np.maximum.reduce(i),
    "Equal": lambda np, n, i: np.equal(i[0], i[1]),
    "Not": lambda np, n, i: np.logical_not(i[0]),
    "Where": lambda np, n, i: np.where(i[0], i[1], i[2]),
    "Slice": _slice,
    "Reshape": _reshape,
    "Transpose": lambda np, n, i: np.transpose(i[0], _attr(n, "perm")),
    "ConstantOfShape": _constant_of_shape,
    "Range": lambda np, n, i: np.arange(i[0], i[1], i[2]),
    "Expand": lambda np, n, i: np.broadcast_to(
        i[0], np.broadcast_shapes(i[0].shape, tuple(int(d) for d in i[1]))).copy(),
}
