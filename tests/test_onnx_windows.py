"""ONNX import of windowed attention (Swin's and MaxViT's forms), patch embedding and merging,
partitions and shapes left symbolic by size arithmetic: fixtures written with onnx.helper (by
tests/onnx_writer.py, as torchvision's export writes them; no torch), counted as the kinds with
hand-computed MACs; variants the kinds do not describe are errors naming a node."""
from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from costcalc.api import load  # noqa: E402
from costcalc.costing import conventions  # noqa: E402
from costcalc.costing.report import Report  # noqa: E402
from costcalc.errors import CostcalcError  # noqa: E402
from costcalc.graph.builder import GraphBuilder  # noqa: E402
from costcalc.graph.registry import Shape  # noqa: E402
from cli_runner import run  # noqa: E402
from onnx_writer import Writer, write_graph  # noqa: E402

F = TensorProto.FLOAT


def swin(side, width=32, heads=2, window=7, shift=0, merge=False):
    """Patch embedding (4 x 4) of a (4 side)^2 image, LayerNorm, one window attention (+ a patch
    merging and a second attention), back to a map."""
    b = GraphBuilder()
    x = b.input(Shape(3, 4 * side, 4 * side))
    x = b.call("patch_embed", x, "patch", out=width, patch=4)
    x = b.call("layer_norm", x, "norm")
    x = b.call("attention", x, "attn", heads=heads, window=window, shift=shift)
    if merge:
        x = b.call("patch_merging", x, "merge")
        x = b.call("attention", x, "attn2", heads=heads, window=window)
    x = b.call("to_map", x, "permute")
    return b.graph("swin", Shape(3, 4 * side, 4 * side))


def maxvit(side, width=32, heads=2, window=7, grid=False):
    """A map, partitioned into windows (or a grid), LayerNorm, attention with Einsum, back."""
    b = GraphBuilder()
    x = b.input(Shape(width, side, side))
    part = "grid_attention" if grid else "window_attention"
    x = b.call("to_tokens", x, f"{part}.partition")
    x = b.call("layer_norm", x, f"{part}.norm")
    x = b.call("attention", x, f"{part}.attn", heads=heads, window=window, modules=True)
    x = b.call("to_map", x, f"{part}.departition")
    return b.graph("maxvit", Shape(width, side, side))


def attention_macs(rows, keys, width):
    """Projections 4 N' D^2 and the two matmuls 2 N' M^2 D (the attention kind's docstring)."""
    return 4 * rows * width * width + 2 * rows * keys * width


CASES = [
    # (fixture, padded tokens N', window tokens M^2, width D)
    ("swin-7", swin(7), 49, 49, 32),
    ("swin-9-padded", swin(9), 14 * 14, 49, 32),
    ("swin-14-shifted", swin(14, shift=3), 14 * 14, 49, 32),
    ("swin-16-padded-shifted", swin(16, width=64, heads=4, shift=3), 21 * 21, 49, 64),
    ("swin-7-shift-dropped", swin(7, shift=3), 49, 49, 32),  # the window covers the grid
    ("swin-8-window-4", swin(8, window=4, shift=2), 64, 16, 32),
    ("maxvit-14-window", maxvit(14), 14 * 14, 49, 32),
    ("maxvit-14-grid", maxvit(14, grid=True), 14 * 14, 49, 32),
    ("maxvit-28-grid-4-heads", maxvit(28, width=64, heads=4, grid=True), 28 * 28, 49, 64),
]


@pytest.mark.parametrize("graph,rows,keys,width", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_window_attention_imports_as_the_kind(tmp_path, graph, rows, keys, width):
    imported = load(write_graph(graph, tmp_path / "m.onnx")).build({})
    assert [(n.kind, n.role, tuple(n.shape), n.shape.tokens, n.counts) for n in graph.nodes] == \
        [(n.kind, n.role, tuple(n.shape), n.shape.tokens, n.counts) for n in imported.nodes]
    paper = conventions.get("paper")
    attention = sum(paper.node_macs(n.counts) for n in imported.nodes if n.kind == "attention")
    assert attention == attention_macs(rows, keys, width)
    for name in conventions.BUILT_IN:
        rules = conventions.get(name)
        assert Report.from_graph(imported, {}, rules).total == \
            Report.from_graph(graph, {}, rules).total, name


@pytest.mark.parametrize("side", [8, 7])  # 7: the merge pads the odd side
def test_patch_merging_imports_as_the_kind(tmp_path, side):
    graph = swin(side, merge=True)
    imported = load(write_graph(graph, tmp_path / "m.onnx")).build({})
    assert [(n.kind, n.role, tuple(n.shape), n.counts) for n in graph.nodes] == \
        [(n.kind, n.role, tuple(n.shape), n.counts) for n in imported.nodes]
    half = -(-side // 2)
    merge = [n for n in imported.nodes if n.block == "merge" or n.name.startswith("merge")]
    # LayerNorm(4C) and Linear(4C -> 2C) without bias on ceil(side / 2)^2 tokens
    assert sum(conventions.get("paper").node_macs(n.counts) for n in merge) == \
        half * half * 128 * 64


@pytest.mark.parametrize("graph", [swin(9, shift=3, merge=True), maxvit(14, grid=True)],
                         ids=["swin", "maxvit"])
def test_costcalc_import_writes_windowed_attention_as_spec_entries(tmp_path, graph):
    path = write_graph(graph, tmp_path / "m.onnx")
    text = run("import", path).stdout
    assert "window: 7" in text
    (tmp_path / "spec.yaml").write_text(text)
    for name in conventions.BUILT_IN:
        rules = conventions.get(name)
        a = Report.from_graph(load(path).build({}), {}, rules)
        b = Report.from_graph(load(str(tmp_path / "spec.yaml")).build(), {}, rules)
        assert [(r.kind, r.macs, r.params) for r in a.layers] == \
            [(r.kind, r.macs, r.params) for r in b.layers] and a.total == b.total, name


# ---------------------------------------------------------------------------- variants
def written(graph):
    return Writer(graph).model()


def node_named(model, op, part=""):
    return next(n for n in model.graph.node if n.op_type == op and part in n.name)


def bypass(model, node):
    """Remove ``node`` (one live input, one output): its readers read its live input."""
    live = node.input[0] if node.op_type != "Add" or not node.input[0].startswith("w_") \
        else node.input[1]
    for other in model.graph.node:
        for i, name in enumerate(other.input):
            if name == node.output[0]:
                other.input[i] = live
    model.graph.node.remove(node)


def no_bias_table(model):
    """The relative position bias left out: the table's parameters would be counted wrongly."""
    add = next(n for n in model.graph.node if n.op_type == "Add" and
               any("Unsqueeze" in m.name and m.output[0] in n.input for m in model.graph.node))
    bypass(model, add)


def no_mask(model):
    """Rolled windows without the shift mask: not torchvision's shifted attention."""
    bypass(model, node_named(model, "Add", "Add_mask"))


def biased_reduction(model):
    """PatchMerging's reduction with a bias: not the patch_merging kind."""
    matmul = node_named(model, "MatMul", "/merge")
    out = matmul.output[0]
    bias = helper.make_tensor("reduction_bias", F, [64], [0.0] * 64)
    model.graph.initializer.append(bias)
    add = helper.make_node("Add", [out, "reduction_bias"], ["reduction_out"], name="/merge/Add")
    for other in model.graph.node:
        for i, name in enumerate(other.input):
            if name == out:
                other.input[i] = "reduction_out"
    model.graph.node.insert(list(model.graph.node).index(matmul) + 1, add)


NO_TABLE = r"a window attention with no relative position bias table \(169 x 2 values\)"
VARIANTS = [
    ("no-bias-table", swin(14), no_bias_table, r"Pad node '/attn.qkv/Pad'.*" + NO_TABLE),
    ("shift-without-mask", swin(14, shift=3), no_mask,
     r"Pad node '/attn.qkv/Pad'.*rolled \(shifted\) windows without a mask"),
    ("merge-with-bias", swin(8, merge=True), biased_reduction,
     r"Pad node '/merge.merge/Pad'.*a patch merging with a bias on its reduction"),
    ("maxvit-no-bias-table", maxvit(14), no_bias_table,
     r"MatMul node '/window_attention.attn.qkv/MatMul'.*" + NO_TABLE),
]


@pytest.mark.parametrize("graph,change,message", [v[1:] for v in VARIANTS],
                         ids=[v[0] for v in VARIANTS])
def test_a_variant_the_kinds_do_not_describe_is_an_error_naming_a_node(tmp_path, graph, change,
                                                                        message):
    model = written(graph)
    change(model)
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(CostcalcError, match=message):
        load(str(path)).build({})
    # --allow-unknown: the whole layer one named zero row, listed under the report; the tokens
    # after it keep their grid
    graph = load(str(path)).build({"allow_unknown": True})
    unknown = [n for n in graph.nodes if n.kind == "unknown"]
    assert len(unknown) == 1 and unknown[0].shape.tokens and "not the" in graph.notes[0]
    assert graph.nodes[-1].kind == "to_map"


# ---------------------------------------------------------------------------- size arithmetic
def pads_model(extra_nodes=(), extra_inits=()):
    """x [1, 3, 9, 9] padded to 14 x 14 by pads that ONNX's data propagation cannot compute
    (Mod, Sub, Unsqueeze, Concat, Cast of the pads, as Swin's export writes them), then a 7 x 7
    stride-7 conv."""
    def ints(name, values, dims=None):
        return helper.make_tensor(name, TensorProto.INT64, [len(values)] if dims is None
                                  else dims, values)

    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "two"], ["h"], axis=0),
        helper.make_node("Mod", ["h", "seven"], ["r"]),
        helper.make_node("Sub", ["seven", "r"], ["p0"]),
        helper.make_node("Mod", ["p0", "seven"], ["p1"]),  # (7 - H % 7) % 7
        helper.make_node("Unsqueeze", ["p1", "axis0"], ["p"]),
        helper.make_node("Concat", ["zeros", "p", "p"], ["pads0"], axis=0),
        helper.make_node("Cast", ["pads0"], ["pads"], to=TensorProto.INT64),
        *extra_nodes,
        helper.make_node("Pad", ["x", "pads"], ["padded"], name="/pad/Pad"),
        helper.make_node("Conv", ["padded", "w"], ["y"], name="/conv/Conv", kernel_shape=[7, 7],
                         strides=[7, 7]),
    ]
    weight = TensorProto(name="w", data_type=F, dims=[4, 3, 7, 7])
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "absent.bin"
    # pads in ONNX's order: the begins (0, 0, 0, 0), then the ends (0, 0, p, p)
    inits = [ints("two", [2], []), ints("seven", [7], []), ints("axis0", [0]),
             ints("zeros", [0] * 6), weight, *extra_inits]
    graph = helper.make_graph(nodes, "pads", [helper.make_tensor_value_info("x", F,
                                                                           [1, 3, 9, 9])],
                              [helper.make_tensor_value_info("y", F, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_pads_computed_by_shape_arithmetic_give_the_padded_shape(tmp_path):
    model = pads_model()
    from onnx import shape_inference

    inferred = shape_inference.infer_shapes(model, data_prop=True)
    dims = {v.name: v.type.tensor_type.shape for v in inferred.graph.value_info}
    assert not all(d.HasField("dim_value") for d in dims["padded"].dim)  # ONNX alone cannot
    path = tmp_path / "pads.onnx"
    path.write_bytes(model.SerializeToString())
    imported = load(str(path)).build({})
    assert [(n.kind, tuple(n.shape)) for n in imported.nodes] == \
        [("identity", (3, 14, 14)), ("conv", (4, 2, 2))]


def test_size_arithmetic_computes_only_small_values(tmp_path):
    """Values a hostile file asks for (a constant of 10^10 values, a broadcast of 4096 x 4096)
    are left uncomputed: the pass allocates no more than shapes need."""
    import tracemalloc

    column = helper.make_tensor("column", TensorProto.INT64, [4096, 1], [1] * 4096)
    row = helper.make_tensor("row", TensorProto.INT64, [1, 4096], [1] * 4096)
    huge = helper.make_tensor("huge", TensorProto.INT64, [2], [100000, 100000])
    model = pads_model([helper.make_node("ConstantOfShape", ["huge"], ["big"]),
                        helper.make_node("Add", ["column", "row"], ["square"])],
                       [column, row, huge])
    path = tmp_path / "hostile.onnx"
    path.write_bytes(model.SerializeToString())
    tracemalloc.start()
    imported = load(str(path)).build({})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [n.kind for n in imported.nodes] == ["identity", "conv"]
    assert peak < 20 * 2 ** 20  # a 4096 x 4096 int64 square alone would be 128 MiB


def test_a_map_through_a_partition_like_view_chain_stays_one_view(tmp_path):
    """Reshape to rank 6, Transpose(0, 5, ...), Reshape of a map (not tokens): MaxViT's
    departition in form only; one free view as before, not an error."""
    shape = helper.make_tensor("split", TensorProto.INT64, [6], [1, 2, 2, 3, 2, 6])
    back = helper.make_tensor("back", TensorProto.INT64, [4], [1, 6, 4, 6])
    nodes = [helper.make_node("Reshape", ["x", "split"], ["a"], name="/v/Reshape"),
             helper.make_node("Transpose", ["a"], ["b"], perm=[0, 5, 1, 3, 2, 4],
                              name="/v/Transpose"),
             helper.make_node("Reshape", ["b", "back"], ["y"], name="/v/Reshape_1")]
    graph = helper.make_graph(nodes, "views", [helper.make_tensor_value_info("x", F,
                                                                            [1, 4, 6, 6])],
                              [helper.make_tensor_value_info("y", F, None)], [shape, back])
    path = tmp_path / "views.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                     .SerializeToString())
    imported = load(str(path)).build({})
    assert [(n.kind, tuple(n.shape)) for n in imported.nodes] == [("identity", (6, 4, 6))]
