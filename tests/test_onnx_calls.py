"""What an ONNX file tells about the torch calls behind its ops (costcalc/importers/onnx_calls.py):
a Resize or pool made by a module or a function, read from the TorchScript exporter's scopes or
the dynamo exporter's metadata, else assumed (and said); layers reusing one module's weights
counted once. Fixtures built with onnx.helper; the node names and metadata are the forms torch
2.14's two exporters write (measured on nn.Upsample, F.interpolate and a module called twice)."""
from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from costcalc.api import analyze, load  # noqa: E402
from costcalc.costing import conventions  # noqa: E402
from costcalc.costing.report import Report  # noqa: E402
from cli_runner import run  # noqa: E402
from onnx_writer import write_graph  # noqa: E402
from test_onnx_import import floats, ints, stub  # noqa: E402

F = TensorProto.FLOAT
UPSAMPLE = "['m.Net', 'torch.nn.modules.upsampling.Upsample', 'aten.upsample_bilinear2d.vec']"
HEAD = "['m.Net', 'torchvision.models.segmentation.lraspp.LRASPPHead', " \
    "'aten.upsample_bilinear2d.vec']"


def save(tmp_path, nodes, inits, shape=(1, 4, 8, 8), producer="pytorch", outputs=("y",),
         name="m.onnx"):
    graph = helper.make_graph(nodes, "fixture", [helper.make_tensor_value_info("x", F, shape)],
                              [helper.make_tensor_value_info(o, F, None) for o in outputs],
                              list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name=producer)
    model.ir_version = 10  # node metadata_props
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return str(path)


def node(op, inputs, outputs, name, meta=None, **attrs):
    made = helper.make_node(op, inputs, outputs, name=name, **attrs)
    for key, value in (meta or {}).items():
        entry = made.metadata_props.add()
        entry.key, entry.value = key, value
    return made


def resize_file(tmp_path, name, producer="pytorch", meta=None, extra=(), by="sizes"):
    """conv -> Resize to 16 x 16 (by sizes or scales), the Resize named ``name``; ``extra`` nodes
    after it (other ops in its scope)."""
    target = ["", "", "sizes"] if by == "sizes" else ["", "scales"]
    nodes = [node("Conv", ["x", "w"], ["c"], "/conv/Conv"),
             node("Resize", ["c", *target], ["r"], name, meta, mode="linear"), *extra]
    out = extra[-1].output[0] if extra else "r"
    inits = [stub("w", [4, 4, 1, 1]), ints("sizes", [1, 4, 16, 16]),
             floats("scales", [1.0, 1.0, 2.0, 2.0])]
    return save(tmp_path, nodes, inits, producer=producer, outputs=(out,))


def upsample(path, **parameters):
    graph = load(path).build(load(path).resolve(parameters))
    return next(n for n in graph.nodes if n.kind == "upsample"), graph


@pytest.mark.parametrize("name,producer,meta,extra,functional", [
    # TorchScript: nn.Upsample's forward is the resize alone, in its own scope
    ("/up/Resize", "pytorch", None, (), False),
    # F.interpolate in the model's own forward (torchvision LRASPP.forward)
    ("/Resize", "pytorch", None, (), True),
    # ... in a module's forward beside other ops (LRASPPHead: x * s, then F.interpolate)
    ("/head/Resize", "pytorch", None, (node("Relu", ["r"], ["y"], "/head/Relu"),), True),
    # ... in a module with children (DeepLabV3's ASPPPooling: a Sequential, then F.interpolate)
    ("/pool/Resize", "pytorch", None, (node("Relu", ["r"], ["y"], "/pool/pool.0/Relu"),), True),
    # the dynamo exporter's class hierarchy: the innermost module before the aten op
    ("node_upsample_bilinear2d", "pytorch", {"pkg.torch.onnx.class_hierarchy": UPSAMPLE}, (),
     False),
    ("node_upsample_bilinear2d", "pytorch", {"pkg.torch.onnx.class_hierarchy": HEAD}, (), True),
])
def test_the_exporters_marks_say_module_or_function(tmp_path, name, producer, meta, extra,
                                                    functional):
    up, graph = upsample(resize_file(tmp_path, name, producer, meta, extra))
    assert up.info["functional"] is functional
    assert not any("Resize" in note for note in graph.notes)  # nothing assumed


@pytest.mark.parametrize("producer,name,choice,functional,said", [
    ("other", "resize0", None, False, "with no mark of the call that made them"),
    ("other", "resize0", "function", True, "counted as F.interpolate calls (resize_as=function)"),
    # the choice overrides the marks too
    ("pytorch", "/up/Resize", "function", True, "(resize_as=function)"),
    ("pytorch", "/Resize", "module", False, "counted as nn.Upsample modules (resize_as=module)"),
])
def test_resize_as_decides_where_the_file_cannot_and_the_report_says_so(
        tmp_path, producer, name, choice, functional, said):
    path = resize_file(tmp_path, name, producer)
    up, graph = upsample(path, **({"resize_as": choice} if choice else {}))
    assert up.info["functional"] is functional
    assert any(said in note for note in graph.notes), graph.notes
    # the same on the command line, under the report
    args = [path, "-c", "ptflops"] + (["--set", f"resize_as={choice}"] if choice else [])
    assert said in run(*args).stdout


@pytest.mark.parametrize("name,module_cost,function_cost", [
    # per output element (4 x 16 x 16): ptflops 2 for the module (its hook and the patched
    # F.interpolate) and 1 for the function; thop 11 for a bilinear module and 0 for a function
    ("ptflops", 2, 1), ("thop", 11, 0)])
def test_module_and_function_cost_what_each_tool_charges(tmp_path, name, module_cost,
                                                         function_cost):
    rules = conventions.get(name)
    costs = []
    for resize in ("/up/Resize", "/Resize"):
        up, graph = upsample(resize_file(tmp_path, resize))
        costs.append(Report.from_graph(graph, {}, rules).total.macs -
                     Report.from_graph(graph, {}, rules).layers[0].macs)
    assert costs == [module_cost * 4 * 16 * 16, function_cost * 4 * 16 * 16]


@pytest.mark.parametrize("by,recorded", [("sizes", "upsample_size_pixels"),
                                         ("scales", "upsample_in")])
def test_a_resize_to_sizes_or_by_scales_is_read_as_written(tmp_path, by, recorded):
    up, _ = upsample(resize_file(tmp_path, "/Resize", by=by))
    assert recorded in up.counts


def test_a_non_square_size_of_an_existing_tensor_is_read_as_that_tensors_size(tmp_path):
    nodes = [node("Conv", ["x", "w"], ["c"], "/conv/Conv", strides=[2, 2]),
             node("Resize", ["c", "", "", "sizes"], ["y"], "/Resize", mode="nearest")]
    path = save(tmp_path, nodes, [stub("w", [4, 4, 1, 1]), ints("sizes", [1, 4, 8, 12])],
                shape=(1, 4, 8, 12))
    up, _ = upsample(path)
    assert tuple(up.shape) == (4, 8, 12) and up.counts["upsample_size_pixels"] == 8 * 12


@pytest.mark.parametrize("name,functional", [("/MaxPool", True), ("/pool/MaxPool", False)])
def test_pools_are_read_as_module_or_function_the_same_way(tmp_path, name, functional):
    nodes = [node("Conv", ["x", "w"], ["c"], "/conv/Conv"),
             node("MaxPool", ["c"], ["y"], name, kernel_shape=[1, 1], strides=[2, 2])]
    path = save(tmp_path, nodes, [stub("w", [4, 4, 1, 1])])
    graph = load(path).build({})
    assert graph.nodes[-1].info["functional"] is functional
    assert ("functional_maxpool_in" in graph.nodes[-1].counts) is functional


POOL = "['m.Net', 'torch.nn.modules.pooling.AdaptiveAvgPool2d', 'aten.mean.dim']"
SE = "['m.Net', 'torchvision.ops.misc.SqueezeExcitation', 'aten.mean.dim']"


@pytest.mark.parametrize("meta,counted", [
    # the dynamo exporter writes nn.AdaptiveAvgPool2d(1) as a ReduceMean inside that module
    ({"pkg.torch.onnx.class_hierarchy": POOL}, "gap_module_in"),
    # x.mean((2, 3)) in a forward, and a ReduceMean with no marks: a tensor mean
    ({"pkg.torch.onnx.class_hierarchy": SE}, "mean_in"), (None, "mean_in")])
def test_a_reduce_mean_is_a_pool_module_only_where_the_exporter_says(tmp_path, meta, counted):
    nodes = [node("Conv", ["x", "w"], ["c"], "/conv/Conv"),
             node("ReduceMean", ["c"], ["y"], "node_mean", meta, axes=[2, 3], keepdims=1)]
    graph = load(save(tmp_path, nodes, [stub("w", [4, 4, 1, 1])])).build({})
    assert counted in graph.nodes[-1].counts


# ---------------------------------------------------------------------------- tied weights
CONV = 4 * 4 * 9 + 4  # params of one 3x3 conv 4 -> 4 with bias


def two_convs(tmp_path, names, second_inputs, producer="pytorch", metas=(None, None),
              identity=False):
    """conv(x) and conv(conv(x)); the second reads ``second_inputs`` (weight, bias)."""
    nodes = [node("Conv", ["x", "w", "b"], ["c"], names[0], metas[0], pads=[1] * 4),
             node("Conv", ["c", *second_inputs], ["y"], names[1], metas[1], pads=[1] * 4)]
    if identity:  # TorchScript's copy of an equal-valued parameter
        nodes.insert(0, node("Identity", ["b"], ["b_copy"], "Identity_0"))
    inits = [stub("w", [4, 4, 3, 3]), stub("b", [4]), stub("w2", [4, 4, 3, 3]), stub("b2", [4])]
    return save(tmp_path, nodes, inits, producer=producer)


SCOPE = "pkg.torch.onnx.name_scopes"


@pytest.mark.parametrize("case,names,second,producer,metas,identity,tied,params,shares", [
    # TorchScript writes merged equal tensors as Identity copies: a tensor read directly by two
    # layers is one parameter (a module called again, or weights tied between modules)
    ("torchscript-called-again", ("/head/Conv", "/head_1/Conv"), ["w", "b"], "pytorch",
     (None, None), False, None, CONV, True),
    ("torchscript-tied-across-modules", ("/a/Conv", "/b/Conv"), ["w", "b"], "pytorch",
     (None, None), False, None, CONV, True),
    ("torchscript-identity-copy-is-its-own", ("/a/Conv", "/b/Conv"), ["w2", "b_copy"],
     "pytorch", (None, None), True, None, 2 * CONV, False),
    ("distinct", ("/a/Conv", "/b/Conv"), ["w2", "b2"], "pytorch", (None, None), False, None,
     2 * CONV, False),
    # other files may merge equal tensors by reading one: only one module's layers are tied
    ("other-same-module", ("/head/Conv", "/head/Conv_1"), ["w", "b"], "other", (None, None),
     False, None, CONV, True),
    ("other-two-modules", ("/a/Conv", "/b/Conv"), ["w", "b"], "other", (None, None), False,
     None, 2 * CONV, False),
    ("other-two-modules-tied-all", ("/a/Conv", "/b/Conv"), ["w", "b"], "other", (None, None),
     False, "all", CONV, True),
    ("dynamo-same-module", ("node_conv2d", "node_conv2d_1"), ["w", "b"], "pytorch",
     ({SCOPE: "['', 'head', 'conv2d']"}, {SCOPE: "['', 'head', 'conv2d_1']"}), False, None,
     CONV, True),
    ("dynamo-merged-equal-tensors", ("node_conv2d", "node_conv2d_1"), ["w", "b"], "pytorch",
     ({SCOPE: "['', 'a', 'conv2d']"}, {SCOPE: "['', 'b', 'conv2d_1']"}), False, None,
     2 * CONV, False),
    ("torchscript-tied-none", ("/head/Conv", "/head_1/Conv"), ["w", "b"], "pytorch",
     (None, None), False, "none", 2 * CONV, False),
])
def test_tied_weights_count_once_by_the_rule(tmp_path, case, names, second, producer, metas,
                                             identity, tied, params, shares):
    path = two_convs(tmp_path, names, second, producer, metas, identity)
    graph = load(path).build(load(path).resolve({"tied": tied} if tied else {}))
    total = Report.from_graph(graph, {}, conventions.get("paper")).total
    assert total.params == params
    assert (graph.nodes[1].info.get("shares") == graph.nodes[0].name) is shares
    assert any("reuse an earlier layer's weight tensors" in n for n in graph.notes) is shares
    # MACs are the layers' own, tied or not
    assert total.macs == 2 * 4 * 4 * 9 * 8 * 8


def test_a_layer_reading_some_of_anothers_tensors_is_counted_in_full_and_said(tmp_path):
    path = two_convs(tmp_path, ("/a/Conv", "/b/Conv"), ["w", "b2"])
    graph = load(path).build({})
    assert Report.from_graph(graph, {}, conventions.get("paper")).total.params == 2 * CONV
    assert any("read some weight tensors of an earlier layer" in n for n in graph.notes)


def test_import_writes_shares_and_the_spec_counts_the_same(tmp_path):
    path = two_convs(tmp_path, ("/head/Conv", "/head_1/Conv"), ["w", "b"])
    text = run("import", path).stdout
    assert "shares: head" in text
    (tmp_path / "spec.yaml").write_text(text)
    for name in conventions.BUILT_IN:
        assert analyze(str(tmp_path / "spec.yaml"), convention=name).total == \
            analyze(path, convention=name).total, name


@pytest.mark.parametrize("option,value", [("resize_as", "maybe"), ("tied", "yes")])
def test_an_unknown_choice_is_one_line(tmp_path, option, value):
    path = two_convs(tmp_path, ("/a/Conv", "/b/Conv"), ["w2", "b2"])
    result = run(path, "--set", f"{option}={value}", code=2)
    assert f"parameter {option!r} takes one of" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("model,values", [
    # torchvision's MobileNet v2 pools with F.adaptive_avg_pool2d: a GlobalAveragePool in the
    # model's forward
    ("mobilenet_v2", {"flavor": "torchvision"}),
    # a module called on three levels, F.interpolate and F.max_pool2d
    ("fasterrcnn_mobilenet_v3_large_320_fpn", {"resolution": "256"}),
])
def test_the_writer_writes_what_torch_writes_and_it_reads_back(tmp_path, model, values):
    spec = load(model)
    resolved = spec.resolve(values)
    graph = spec.build(resolved)
    imported = load(write_graph(graph, tmp_path / "m.onnx")).build({})
    for name in conventions.BUILT_IN:
        rules = conventions.get(name)
        a, b = Report.from_graph(graph, resolved, rules), Report.from_graph(imported, {}, rules)
        assert (a.total, a.flops()) == (b.total, b.flops()), name
