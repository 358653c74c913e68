"""Test helper: a built costcalc Graph written as an ONNX model (weights as external-data stubs).

Each node becomes the ops a PyTorch export writes for it (Conv + BatchNormalization + activation,
Gemm, Add, Mul, Concat, pools, ...), named ``/block/node/Op`` so the importer finds the blocks,
as torch's TorchScript exporter writes them (producer ``pytorch``): an ``F.interpolate`` call
(``functional: true``) is a Resize in the calling forward's scope (here the model's, ``/Resize_N``),
an ``nn.Upsample`` module's the only op of its own scope; a layer that ``shares`` another's
weights reads the same initializers.
Weights carry their dims only: their data is marked external and never written, which is also
what the importer must cope with (it never loads weight data).
"""
from __future__ import annotations

import math

import onnx
from onnx import TensorProto, helper

from costcalc.graph.kinds.upsample import INPUT as UPSAMPLE_INPUT

OPSET = 17  # LayerNormalization is 17; torch.onnx.export writes 17 by default


class Writer:
    def __init__(self, graph):
        self.graph = graph
        self.nodes: list = []
        self.inits: list = []
        self.names: dict[int, str] = {-1: "input"}
        self.rank: dict[int, int] = {-1: 4}
        self.last: set[int] = set()  # nodes whose output is held channels-last (NHWC)
        self.attention_out: dict[int, str] = {}  # proj node -> the attention's output
        # nodes whose output is tokens held as torchvision's windowed models hold them:
        # "grid" [1, H, W, D] (Swin), "groups" [1, G, n, D] (MaxViT's partitions)
        self.token_form: dict[int, str] = {}
        self.count = 0
        self.weights: dict[str, list[str]] = {}  # node name -> its weights' names, in order
        self.current = None  # the node being written

    def fresh(self, base: str) -> str:
        self.count += 1
        return f"{base}_{self.count}"

    def weight(self, dims, dtype=TensorProto.FLOAT) -> str:
        mine = self.weights.setdefault(self.current.name, [])
        shared = self.current.info.get("shares")
        if shared is not None:  # tied weights: the same initializer, as torch exports them
            # the layer of the shared entry in the same place (rpn1.conv -> rpn0.conv)
            twin = shared + self.current.name[len(self.current.block):]
            mine.append(self.weights[twin][len(mine)])
            return mine[-1]
        name = self.fresh("w")
        mine.append(name)
        tensor = TensorProto(name=name, data_type=dtype, dims=list(dims))
        tensor.data_location = TensorProto.EXTERNAL
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", "absent.bin"
        self.inits.append(tensor)
        return name

    def const(self, values, dtype=TensorProto.INT64) -> str:
        name = self.fresh("c")
        self.inits.append(helper.make_tensor(name, dtype, [len(values)], list(values)))
        return name

    def op(self, node, op_type, inputs, suffix="", outputs=1, scope=None, **attrs) -> list[str]:
        path = f"/{node.block}" + ("" if node.name == node.block else f"/{node.name}") \
            if scope is None else scope
        outs = [self.fresh("t") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=f"{path}/{op_type}{suffix}",
                                           **attrs))
        return outs

    def caller(self, node, functional=None) -> dict:
        """Where torch names a Resize or pool: a function call (``functional: true``) runs in
        its caller's forward (here the model's: ``/Resize_7``), a module in its own scope."""
        if (node.info.get("functional") if functional is None else functional) is not True:
            return {}
        return {"scope": "", "suffix": f"_{self.count}"}

    def act(self, node, x, fn):
        if fn in (None, "none"):
            return x
        if fn == "relu":
            return self.op(node, "Relu", [x])[0]
        if fn == "relu6":
            lo = self.const([0.0], TensorProto.FLOAT)
            hi = self.const([6.0], TensorProto.FLOAT)
            # scalars: Clip's min and max are 0-d tensors
            for name in (lo, hi):
                self.inits[-1 if name == hi else -2].dims[:] = []
            return self.op(node, "Clip", [x, lo, hi])[0]
        if fn == "hswish":
            return self.op(node, "HardSwish", [x])[0]
        if fn == "hsigmoid":
            return self.op(node, "HardSigmoid", [x], alpha=1 / 6, beta=0.5)[0]
        if fn == "sigmoid":
            return self.op(node, "Sigmoid", [x])[0]
        if fn == "swish":
            gate = self.op(node, "Sigmoid", [x])[0]
            return self.op(node, "Mul", [x, gate])[0]
        raise ValueError(f"no ONNX form for activation {fn}")

    def pads(self, node, kernel, stride, dilation=1, pools=False):
        """Explicit pads (and ceil_mode for pools) reproducing the node's output size."""
        size, out = node.info["input"].h, node.shape.h
        span = dilation * (kernel - 1) + 1
        for ceil in ((False, True) if pools else (False,)):
            for pad in range(span + 1):
                num = size + 2 * pad - span
                got = (-(-num // stride) if ceil else num // stride) + 1
                if ceil and (got - 1) * stride >= size + pad:
                    got -= 1
                if got == out:
                    return {"pads": [pad] * 4, **({"ceil_mode": 1} if ceil else {})}
        raise ValueError(f"no padding gives {node.name}'s output")

    def layout(self, node, x, source, channels_last):
        """``x`` (the output of node ``source``) permuted to NHWC or back, as torch's
        ``permute`` exports; rank-2 tensors have no layout."""
        if self.rank[source] != 4 or (source in self.last) == channels_last or \
                source in self.token_form:
            return x
        perm = [0, 2, 3, 1] if channels_last else [0, 3, 1, 2]
        return self.op(node, "Transpose", [x], suffix="_perm", perm=perm)[0]

    def gelu(self, node, x, approximate):
        """GELU as torch exports it below opset 20: the Erf form, or the tanh form."""
        def scalar(value):
            name = self.const([value], TensorProto.FLOAT)
            self.inits[-1].dims[:] = []
            return name

        if approximate == "tanh":
            square = self.op(node, "Mul", [x, x], suffix="_sq")[0]
            cube = self.op(node, "Mul", [x, square], suffix="_cube")[0]
            scaled = self.op(node, "Mul", [scalar(0.044715), cube], suffix="_kappa")[0]
            inner = self.op(node, "Add", [x, scaled], suffix="_inner")[0]
            inner = self.op(node, "Mul", [scalar(math.sqrt(2 / math.pi)), inner],
                            suffix="_beta")[0]
            t = self.op(node, "Tanh", [inner])[0]
            t = self.op(node, "Add", [scalar(1.0), t], suffix="_one")[0]
            y = self.op(node, "Mul", [x, t], suffix="_x")[0]
            return self.op(node, "Mul", [scalar(0.5), y], suffix="_half")[0]
        d = self.op(node, "Div", [x, scalar(math.sqrt(2))])[0]
        e = self.op(node, "Add", [self.op(node, "Erf", [d])[0], scalar(1.0)])[0]
        return self.op(node, "Mul", [self.op(node, "Mul", [x, e])[0], scalar(0.5)],
                       suffix="_1")[0]

    def flat(self, node, x, rank):
        if rank == 2:
            return x
        return self.op(node, "Reshape", [x, self.const([1, -1])], suffix="_flat")[0]

    def write(self, index, node):
        kind, info = node.kind, node.info
        self.current = node
        ins = [self.names[i] for i in node.inputs]
        if node.inputs and node.inputs[0] in self.token_form or \
                (kind == "to_tokens" and self.windowed_form(index)):
            from onnx_writer_windows import write_windowed

            y, form = write_windowed(self, index, node, ins)
            self.names[index] = y
            self.rank[index] = 4
            if form:
                self.token_form[index] = form
            return
        x = ins[0]
        rank = self.rank[node.inputs[0]]
        out_rank = rank
        last = False  # whether this node's output is channels-last
        if kind == "gelu" or (kind == "layer_norm" and info["channels_last"]) or \
                (kind == "linear" and info.get("per_position")):
            pass  # these read either layout
        else:
            ins = [self.layout(node, name, i, False) for name, i in zip(ins, node.inputs)]
            x = ins[0]
        if kind == "layer_norm" and info["channels_last"] or \
                kind == "linear" and info.get("per_position"):
            x = self.layout(node, x, node.inputs[0], True)
            last = rank == 4
            if kind == "layer_norm":
                y = self.op(node, "LayerNormalization", [x, self.weight([node.shape.c])] +
                            ([self.weight([node.shape.c])] if info["affine"] else []), axis=-1)[0]
            else:
                w = self.weight([info["in_channels"], node.shape.c])
                y = self.op(node, "MatMul", [x, w])[0]
                if info["bias"]:
                    y = self.op(node, "Add", [self.weight([node.shape.c]), y])[0]
                y = self.act(node, y, info["act"])
        elif kind == "layer_norm":  # torchvision's LayerNorm2d: permute, F.layer_norm, back
            if rank == 4:
                x = self.op(node, "Transpose", [x], suffix="_perm", perm=[0, 2, 3, 1])[0]
            y = self.op(node, "LayerNormalization", [x, self.weight([node.shape.c])] +
                        ([self.weight([node.shape.c])] if info["affine"] else []), axis=-1)[0]
            if rank == 4:
                y = self.op(node, "Transpose", [y], suffix="_back", perm=[0, 3, 1, 2])[0]
        elif kind == "gelu":
            y = self.gelu(node, x, info["approximate"])
            last = node.inputs[0] in self.last
        elif kind == "layer_scale":
            y = self.op(node, "Mul", [self.weight([node.shape.c, 1, 1]), x])[0]
        elif kind in ("conv", "dwconv", "pwconv"):
            k, s, d, g = info["kernel"], info["stride"], info["dilation"], info["groups"]
            w = self.weight([node.shape.c, info["in_channels"] // g, k, k])
            inputs = [x, w] + ([self.weight([node.shape.c])] if info["bias"] else [])
            y = self.op(node, "Conv", inputs, kernel_shape=[k, k], strides=[s, s],
                        dilations=[d, d], group=g, **self.pads(node, k, s, d))[0]
            if info["bn"]:
                c = node.shape.c
                y = self.op(node, "BatchNormalization",
                            [y] + [self.weight([c]) for _ in range(4)])[0]
            y = self.act(node, y, info["act"])
        elif kind == "linear":
            x = self.flat(node, x, rank)
            w = self.weight([node.shape.c, info["in_channels"]])
            inputs = [x, w] + ([self.weight([node.shape.c])] if info["bias"] else [])
            y = self.act(node, self.op(node, "Gemm", inputs, transB=1)[0], info["act"])
            out_rank = 2
        elif kind == "bn":
            c = node.shape.c
            y = self.op(node, "BatchNormalization", [x] + [self.weight([c]) for _ in range(4)])[0]
        elif kind == "activation":
            y = self.act(node, x, info["act"])
        elif kind == "add":
            y = self.op(node, "Add" if len(ins) == 2 else "Sum", ins)[0]
            y = self.act(node, y, info["act"])
        elif kind == "concat":
            y = self.op(node, "Concat", ins, axis=1)[0]
        elif kind == "multiply":  # broadcast over sizes of 1, as numpy and ONNX do
            y = self.op(node, "Mul", ins)[0]
        elif kind == "upsample":
            mode = "linear" if info.get("mode") == "bilinear" else "nearest"
            if UPSAMPLE_INPUT in node.counts:  # by a scale (scale_factor), else to a size
                s = node.shape.h // info["input"].h
                sizes = ["", self.const([1.0, 1.0, s, s], TensorProto.FLOAT)]
            else:
                sizes = ["", "", self.const([1, *node.shape])]
            y = self.op(node, "Resize", [x, *sizes], mode=mode, **self.caller(node))[0]
        elif kind == "scale":
            gate = ins[1] if self.rank[node.inputs[1]] == 4 else self.op(
                node, "Reshape", [ins[1], self.const([1, -1, 1, 1])], suffix="_gate")[0]
            y = self.op(node, "Mul", [x, gate])[0]
        elif kind == "global_avg_pool":
            functional = "mean_in" in node.counts  # x.mean([2, 3]) exports as ReduceMean
            y = self.op(node, "ReduceMean", [x], axes=[2, 3], keepdims=1)[0] if functional \
                else self.op(node, "GlobalAveragePool", [x],
                             **self.caller(node, "gap_module_in" not in node.counts))[0]
        elif kind in ("avgpool", "maxpool"):
            k, s = info["kernel"], info["stride"]
            y = self.op(node, "AveragePool" if kind == "avgpool" else "MaxPool", [x],
                        kernel_shape=[k, k], strides=[s, s], **self.pads(node, k, s, pools=True),
                        **self.caller(node))[0]
        elif kind == "adaptive_avg_pool":  # as torch exports it: an AveragePool of H/S
            k = info["input"].h // node.shape.h
            y = self.op(node, "AveragePool", [x], kernel_shape=[k, k], strides=[k, k])[0]
        elif kind == "flatten":
            y = self.op(node, "Flatten", [x], axis=1)[0]
            out_rank = 2
        elif kind == "tanh":
            y = self.op(node, "Tanh", [x])[0]
        elif kind == "dropout":
            y = self.op(node, "Dropout", [x])[0]
        elif kind == "identity":
            y = self.op(node, "Identity", [x])[0]
        elif kind == "channel_shuffle":
            c, h, w = node.shape
            g = next(v for v in range(2, c + 1) if c % v == 0) if "groups" not in info else \
                info["groups"]
            y = self.op(node, "Reshape", [x, self.const([1, g, c // g, h, w])])[0]
            y = self.op(node, "Transpose", [y], perm=[0, 2, 1, 3, 4])[0]
            y = self.op(node, "Reshape", [y, self.const([1, c, h, w])], suffix="_back")[0]
        elif kind == "to_tokens":  # x.flatten(2).transpose(1, 2)
            c, h, w = info["input"]
            y = self.op(node, "Reshape", [x, self.const([1, c, h * w])])[0]
            y = self.op(node, "Transpose", [y], perm=[0, 2, 1])[0]
            out_rank = 3
        elif kind == "class_token":
            d = node.shape.c
            token = self.op(node, "Expand", [self.weight([1, 1, d]), self.const([1, 1, d])])[0]
            y = self.op(node, "Concat", [token, x], axis=1)[0]
        elif kind == "pos_embed":
            y = self.op(node, "Add", [x, self.weight([1, node.shape.h * node.shape.w,
                                                      node.shape.c])])[0]
        elif kind == "take_token":  # x[:, 0]
            y = self.op(node, "Gather", [x, self.scalar(0)], axis=1)[0]
            out_rank = 2
        elif kind == "attention":
            y = self.attention(index, node, x)
        elif kind == "channel_split":
            c = node.shape.c
            part = self.split_index(node)
            y = self.op(node, "Slice", [x, self.const([part * c]), self.const([(part + 1) * c]),
                                        self.const([1])])[0]
        else:
            raise ValueError(f"no ONNX form for kind {kind}")
        self.names[index] = y
        self.rank[index] = out_rank
        if last:
            self.last.add(index)

    def attention(self, index, node, x):
        """nn.MultiheadAttention (batch first, packed Q, K, V) as torch exports it, written at
        the qkv node; the scores, softmax and context nodes pass the tensor on, proj returns the
        output."""
        if node.role != "qkv":
            return self.attention_out[index] if node.role == "proj" else x
        if node.info.get("windowed") or index + 4 >= len(self.graph.nodes) or \
                self.graph.nodes[index + 1].info.get("windowed"):
            raise ValueError("no ONNX form for windowed attention")
        d, heads, n = node.info["in_channels"], node.info["heads"], node.info["rows"]
        y = self.op(node, "MatMul", [x, self.weight([d, 3 * d])])[0]
        if node.info["bias"]:
            y = self.op(node, "Add", [self.weight([3 * d]), y])[0]
        y = self.op(node, "Reshape", [y, self.const([1, n, 3, heads, d // heads])])[0]
        y = self.op(node, "Transpose", [y], perm=[2, 0, 3, 1, 4])[0]
        q, k, v = (self.op(node, "Gather", [y, self.scalar(i)], axis=0)[0] for i in range(3))
        q = self.op(node, "Mul", [q, self.scalar(1.0, TensorProto.FLOAT)])[0]
        k = self.op(node, "Transpose", [k], perm=[0, 1, 3, 2])[0]
        scores = self.op(node, "Softmax", [self.op(node, "MatMul", [q, k])[0]], axis=-1)[0]
        y = self.op(node, "MatMul", [scores, v])[0]
        y = self.op(node, "Transpose", [y], perm=[0, 2, 1, 3])[0]
        y = self.op(node, "Reshape", [y, self.const([1, n, d])])[0]
        y = self.op(node, "MatMul", [y, self.weight([d, d])])[0]
        if self.graph.nodes[index + 4].info["bias"]:
            y = self.op(node, "Add", [self.weight([d]), y])[0]
        self.attention_out[index + 4] = y
        return x

    def windowed_form(self, index):
        """How the tokens made at ``index`` are held: "grid" when the attention they reach
        is Swin's window attention, "groups" when it is MaxViT's, None otherwise (ViT's
        [1, N, D] sequence)."""
        for node in self.graph.nodes[index + 1:]:
            if node.kind == "to_map":
                return None
            if node.kind == "attention" and node.role == "scores":
                if not node.info.get("windowed"):
                    return None
                return "groups" if node.info.get("einsum") else "grid"
        return None

    def scalar(self, value, dtype=TensorProto.INT64):
        name = self.const([value], dtype)
        self.inits[-1].dims[:] = []
        return name

    def split_index(self, node):
        return node.info.get("index", int(node.name.rsplit("split", 1)[-1] or 0))

    def model(self):
        for index, node in enumerate(self.graph.nodes):
            self.write(index, node)
        c, h, w = self.graph.input
        outputs = []
        for last in self.graph.output_indices():  # every output of the model
            out_dims = [1, self.graph.nodes[last].shape.c] if self.rank[last] == 2 else \
                [1, *self.graph.nodes[last].shape]
            outputs.append(helper.make_tensor_value_info(self.names[last], TensorProto.FLOAT,
                                                         out_dims))
        graph = helper.make_graph(
            self.nodes, self.graph.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, h, w])],
            outputs, self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                 producer_name="pytorch")


def write_graph(graph, path) -> str:
    """Write ``graph`` to ``path`` as ONNX; returns the path as text."""
    model = Writer(graph).model()
    with open(path, "wb") as handle:
        handle.write(model.SerializeToString())
    return str(path)
