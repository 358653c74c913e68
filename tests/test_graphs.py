"""Graphs in the spec language: named tensors (``from``, ``size_of``), merge entries, several
outputs, taps and backbones; the located errors for every bad name; pruning; memory with
several outputs; parts that sum to the totals."""
from __future__ import annotations

import json

import pytest

from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.costing.report_table import report_table
from costcalc.errors import SpecError
from costcalc.memory.liveness import analyze_memory
from costcalc.spec.document import parse

DAG = """\
name: dag
input: [3, 32, 32]
taps: {c4: b1.expand, c5: last}
layers:
  - {name: stem, kind: conv, out: 16, stride: 2}
  - {name: "b#", kind: inverted_residual, out: 24, expand: 4, stride: 2}
  - {name: "b#", kind: inverted_residual, out: 32, expand: 4, stride: 2}
  - {name: last, kind: conv, out: 64, kernel: 1}
  - {name: gate_pool, kind: global_avg_pool}
  - {name: gate, kind: conv, out: 64, kernel: 1, act: sigmoid}
  - {name: gated, kind: multiply, from: [last, gate]}
  - {name: up, kind: upsample, size_of: c4, mode: bilinear}
  - {name: side, kind: conv, out: 64, kernel: 1, from: b0}
  - {name: sum, kind: add, from: [up, side]}
  - {name: cat, kind: concat, from: [sum, side]}
  - {name: dead, kind: conv, out: 8, kernel: 1, from: stem}
outputs: [cat, c5]
"""


def build(text: str, **values):
    spec = parse(text, "t.yaml")
    return spec.build(spec.resolve(values))


def report(graph, convention="paper"):
    return Report.from_graph(graph, {}, conventions.get(convention))


def test_named_tensors_build_the_dag():
    graph = build(DAG)
    shapes = {node.name: tuple(node.shape) for node in graph.nodes}
    # gated = last (64x4x4) * gate (64x1x1); up = gated at b1.expand's 8x8; side reads b0 (8x8)
    assert shapes["gated"] == (64, 4, 4) and shapes["up"] == (64, 8, 8)
    assert shapes["cat"] == (128, 8, 8)
    node = {n.name: n for n in graph.nodes}
    index = {n.name: i for i, n in enumerate(graph.nodes)}
    assert node["side"].inputs == (index["b0.project"],)
    assert node["sum"].inputs == (index["up"], index["side"])
    assert node["gated"].inputs == (index["last"], index["gate"])
    # side: 1x1 conv 24 -> 64 on 8x8, counted from the architecture
    assert report(graph).layers[index["side"]].macs == 8 * 8 * 24 * 64
    assert graph.output_labels() == ["cat", "c5"]
    assert [tuple(graph.nodes[i].shape) for i in graph.output_indices()] == [(128, 8, 8),
                                                                            (64, 4, 4)]
    assert graph.taps == {"c4": index["b1.expand"], "c5": index["last"]}


def test_nodes_no_output_reaches_are_pruned_with_a_note():
    graph = build(DAG)
    assert "dead" not in {n.name for n in graph.nodes}
    assert "not counted: 1 layer no output reaches (dead)" in graph.notes
    # every input index still points at an earlier node
    assert all(j < i for i, n in enumerate(graph.nodes) for j in n.inputs)


def test_a_chain_is_unchanged():
    text = "name: c\ninput: [3, 8, 8]\nlayers:\n  - {kind: conv, out: 4}\n  - {kind: conv, out: 4}\n"
    graph = build(text)
    assert graph.outputs == [] and graph.output_indices() == [1] and graph.notes == []


@pytest.mark.parametrize("convention", ["paper", "torchvision", "fvcore", "ptflops"])
def test_rows_sum_to_totals_and_outputs_are_reported(convention):
    rep = report(build(DAG), convention)
    assert sum(r.macs for r in rep.layers) == rep.total.macs
    table = report_table(rep)
    assert "outputs: cat 128x8x8, c5 64x4x4" in table.footer
    data = table.data
    assert data["outputs"] == [{"name": "cat", "output": [128, 8, 8]},
                               {"name": "c5", "output": [64, 4, 4]}]
    json.dumps(data)


def test_token_outputs_are_shown_as_their_rows_show_them():
    rep = report(build("input: [3, 32, 32]\nlayers:\n"
                       "  - {kind: patch_embed, name: pe, out: 16, patch: 4}\n"
                       "  - {kind: layer_norm, name: ln}\noutputs: [pe, ln]\n"))
    table = report_table(rep)
    shown = rep.graph.nodes[-1].shape.text()  # the text the rows give a tokens shape
    assert shown.endswith(" tokens")
    assert f"outputs: pe {shown}, ln {shown}" in table.footer


# ------------------------------------------------------------------ located errors
HEAD = "name: t\ninput: [3, 16, 16]\n"
ERRORS = [
    # (layers and top-level keys, message, line, column)
    ("layers:\n  - {name: a, kind: conv, out: 4}\n  - {kind: conv, out: 4, from: aa}\n",
     "from: unknown tensor name 'aa' (did you mean 'a'?)", 5, 32),
    ("layers:\n  - {kind: conv, out: 4, from: later}\n  - {name: later, kind: conv, out: 4}\n",
     "'later' is not defined before this layer", 4, 32),
    ("layers:\n  - {kind: conv, out: 4, from: b3.expand}\n"
     "  - {name: 'b#', kind: inverted_residual, out: 8}\n",
     "'b3.expand' is not defined before this layer", 4, 32),
    ("layers:\n  - {name: r, kind: conv, out: 4, repeat: 2}\n  - {kind: conv, out: 4, from: r}\n",
     "from: 'r' is ambiguous: it names 'r.0', 'r.1'", 5, 32),
    ("layers:\n  - {name: a, kind: conv, out: 4}\n  - {kind: add}\n",
     "add: a merge entry reads 'from: [NAME, NAME, ...]'", 5, 5),
    ("layers:\n  - {name: a, kind: conv, out: 4}\n  - {kind: add, from: a}\n",
     "'from' of a merge must be a list of two or more tensor names", 5, 23),
    ("layers:\n  - {name: a, kind: conv, out: 4}\n  - {kind: conv, out: 4, from: [a, a]}\n",
     "'from' must be one tensor name (a list only for add, concat, multiply, matmul and scale)", 5, 32),
    ("layers:\n  - {name: a, kind: conv, out: 4}\n  - {kind: concat, from: [a, input, nope]}\n",
     "from: unknown tensor name 'nope'", 5, 37),
    ("layers:\n  - {name: a, kind: conv, out: 4}\n  - {kind: add, from: [a, input]}\n",
     "cannot add tensors of shapes 4x16x16 and 3x16x16", 5, 5),
    ("layers:\n  - {name: a, kind: conv, out: 4, stride: 2}\n"
     "  - {kind: upsample, size_of: inptu}\n",
     "size_of: unknown tensor name 'inptu' (did you mean 'input'?)", 5, 31),
    ("layers:\n  - {name: a, kind: conv, out: 4}\noutputs: [a, b]\n",
     "outputs: unknown tensor name 'b'", 5, 14),
    ("layers:\n  - {name: a, kind: conv, out: 4}\noutputs: [a, a]\n",
     "'outputs' names 'a' twice", 5, 14),
    ("layers:\n  - {name: a, kind: conv, out: 4}\noutputs: [input]\n",
     "outputs: the model input is not an output of the model", 5, 11),
    ("layers:\n  - {name: a, kind: conv, out: 4}\noutputs: a\n",
     "'outputs' must be a non-empty list of tensor names", 5, 10),
    ("layers:\n  - {name: a, kind: conv, out: 4}\ntaps: {c1: aa}\n",
     "taps: c1: unknown tensor name 'aa' (did you mean 'a'?)", 5, 12),
    ("layers:\n  - {name: a, kind: conv, out: 4}\ntaps: [a]\n",
     "'taps' must be a mapping of tap name: tensor name", 5, 7),
    ("layers:\n  - {name: a, kind: conv, out: 4, repeat: 2}\n  - {kind: add, from: [a.0, a]}\n",
     "from: 'a' is ambiguous", 5, 29),
]


@pytest.mark.parametrize("text, message, line, column", ERRORS)
def test_bad_names_are_located_errors(text, message, line, column):
    with pytest.raises(SpecError) as info:
        build(HEAD + text)
    error = info.value
    assert message in error.message
    assert (error.line, error.column) == (line, column), str(error)


BACKBONE_ERRORS = [
    ("backbone: {model: mobilenet_v3_lage}\nlayers:\n  - {kind: conv, out: 4, from: c4}\n",
     "backbone: unknown model 'mobilenet_v3_lage' (did you mean 'mobilenet_v3_large'", 2, 19),
    ("backbone: {model: mobilenet_v3_large, set: {alpah: 0.5}}\n"
     "layers:\n  - {kind: conv, out: 4, from: c4}\n",
     "backbone: mobilenet_v3_large has no parameter 'alpah' (did you mean 'alpha'?)", 2, 45),
    ("backbone: {model: mobilenet_v3_large, set: {alpha: -1}}\n"
     "layers:\n  - {kind: conv, out: 4, from: c4}\n",
     "backbone: parameter 'alpha' must be more than 0", 2, 52),
    ("backbone: {model: mobilenet_v3_large}\nlayers:\n  - {kind: conv, out: 4}\n",
     "the first layer after a backbone reads a tap", 4, 5),
    ("backbone: {model: mobilenet_v3_large}\nlayers:\n  - {kind: conv, out: 4, from: c44}\n",
     "from: unknown tensor name 'c44' (did you mean 'c4'?)", 4, 32),
    ("backbone: {model: mobilenet_v3_large, sett: {}}\nlayers:\n  - {kind: conv, out: 4}\n",
     "backbone: unknown key 'sett' (did you mean 'set'?)", 2, 39),
    ("backbone: mobilenet_v3_large\nlayers:\n  - {kind: conv, out: 4}\n",
     "'backbone' must be a mapping with 'model'", 2, 11),
    ("backbone: {model: no/such/file.yaml}\nlayers:\n  - {kind: conv, out: 4, from: c4}\n",
     "backbone: no spec file 'no/such/file.yaml'", 2, 19),
    ("backbone: {model: mobilenet_v3_large, set: {alpha: {a: 1}}}\n"
     "layers:\n  - {kind: conv, out: 4, from: c4}\n",
     "backbone: set 'alpha' must be a number, true/false, a name or an expression", 2, 52),
    ("backbone: {model: mobilenet_v3_large, set: {alpha: [1]}}\n"
     "layers:\n  - {kind: conv, out: 4, from: c4}\n",
     "backbone: set 'alpha' must be a number, true/false, a name or an expression", 2, 52),
    ("backbone: {model: mobilenet_v3_large, set: {alpha: '1 +'}}\n"
     "layers:\n  - {kind: conv, out: 4, from: c4}\n",
     "syntax error in expression '1 +'", 2, 56),  # the end of the expression
    # a value its parameter accepts but the backbone's file refuses where it uses it: at the
    # head's setting, naming the backbone's line (found by scripts/fuzz.py)
    ("backbone: {model: mobilenet_v1, set: {alpha: 0.5, resolution: 3.5}}\n"
     "layers:\n  - {kind: conv, out: 4, from: sep10}\n",
     "backbone: the value of 'resolution' set here fails in ", 2, 63),
    ("backbone: {model: mobilenet_v1, set: {resolution: '7 / 2', alpha: 0.5}}\n"
     "layers:\n  - {kind: conv, out: 4, from: sep10}\n",
     "mobilenet_v1.yaml:16:12: 'input height' must be a whole number, got 3.5", 2, 52),
    ("backbone: {model: mobilenet_v1, set: {resolution: null}}\n"
     "layers:\n  - {kind: conv, out: 4, from: sep10}\n",
     "backbone: parameter 'resolution' set to nothing (null)", 2, 51),
    # a mapping without a usable model (found by tests/test_fuzz.py: it crashed validate)
    *(("backbone: " + mapping + "\nlayers:\n  - {kind: conv, out: 4, from: c4}\n",
       "'backbone' must be a mapping with 'model'", 2, 11)
      for mapping in ("{set: {alpha: 1}}", "{model: 3}", "{model: ''}", "[1]")),
]


@pytest.mark.parametrize("key, message", [
    ("outputs: [a, false]", "'outputs' must be a non-empty list of tensor names"),
    ("outputs: [a, '']", "'outputs' must be a non-empty list of tensor names"),
    ("outputs: [a, [b]]", "'outputs' must be a non-empty list of tensor names"),
    ("taps: {c4: 3}", "tap 'c4' must name a tensor"),
    ("taps: {c4: [a]}", "tap 'c4' must name a tensor"),
])
def test_validate_reports_malformed_outputs_and_taps(key, message):
    """validate goes on building after a malformed key: the build must not read it (found by
    scripts/fuzz.py: a bool among the outputs crashed validate)."""
    from costcalc.spec.validate import check_text

    problems = check_text(f"input: [3, 8, 8]\nlayers:\n  - {{name: a, kind: conv, out: 4}}\n"
                          f"{key}\n", "t.yaml")
    assert [p.message for p in problems if message in p.message], problems


@pytest.mark.parametrize("mapping", ["{set: {alpha: 1}}", "{model: 3}", "{model: ''}", "[1]"])
def test_validate_reports_a_backbone_without_a_model(mapping):
    from costcalc.spec.validate import check_text

    problems = check_text(f"name: t\nbackbone: {mapping}\nlayers:\n"
                          "  - {kind: conv, out: 4, from: c4}\n", "t.yaml")
    assert any("'backbone' must be a mapping with 'model'" in p.message for p in problems)


@pytest.mark.parametrize("text, message, line, column", BACKBONE_ERRORS)
def test_bad_backbones_are_located_errors(text, message, line, column):
    with pytest.raises(SpecError) as info:
        build("name: t\n" + text)
    error = info.value
    assert message in error.message, error.message
    assert (error.line, error.column) == (line, column), str(error)


def test_a_backbone_spec_refuses_its_own_input():
    with pytest.raises(SpecError, match="takes its input from the backbone"):
        build("name: t\ninput: [3, 8, 8]\nbackbone: {model: v3}\nlayers:\n"
              "  - {kind: conv, out: 4, from: c4}\n")


def test_a_spec_that_is_its_own_backbone_stops(tmp_path):
    path = tmp_path / "self.yaml"
    path.write_text("name: s\nbackbone: {model: self.yaml}\nlayers:\n"
                    "  - {kind: conv, out: 4, from: input}\n")
    from costcalc.spec.document import load_file

    with pytest.raises(SpecError, match="backbones nested deeper than 8"):
        load_file(str(path)).build()


# ------------------------------------------------------------------ backbones and parts
HEAD_SPEC = """\
name: head
parameters:
  alpha: 1.0
  resolution: 224
  classes: 21
backbone:
  model: mobilenet_v3_large
  set: {alpha: alpha, resolution: resolution, dilated: true}
layers:
  - {name: low, kind: conv, out: classes, kernel: 1, bias: true, from: s8}
  - {name: high, kind: conv, out: classes, kernel: 1, bias: true, from: c5}
  - {name: up, kind: upsample, size_of: low, mode: bilinear}
  - {name: sum, kind: add, from: [low, up]}
"""


@pytest.mark.parametrize("alpha, resolution", [(1, 224), ("0.5", 160)])
def test_head_on_a_backbone_parts_sum_to_totals(alpha, resolution):
    graph = build(HEAD_SPEC, alpha=alpha, resolution=resolution)
    names = [n.name for n in graph.nodes]
    assert names[0] == "backbone.stem" and "backbone.b12.expand" in names
    assert not {"backbone.pool", "backbone.head", "backbone.fc"} & set(names)  # pruned
    assert graph.backbone == "mobilenet_v3_large"
    rep = report(graph, "torchvision")
    table = report_table(rep)
    parts = table.data["parts"]
    assert [p["name"] for p in parts] == ["backbone", "head"]
    for key in ("macs", "params", "activations"):
        assert sum(p[key] for p in parts) == getattr(rep.total, key)
    # the backbone part is the dilated v3 without its classifier, built on its own
    from costcalc.spec import models

    v3 = models.load("mobilenet_v3_large")
    alone = v3.build(v3.resolve({"alpha": alpha, "resolution": resolution, "dilated": True}))
    kept = [n for n in alone.nodes if n.name not in ("pool", "head", "dropout", "fc")]
    rules = conventions.get("torchvision")
    assert parts[0]["macs"] == sum(rules.node_macs(n.counts) for n in kept)
    assert parts[0]["params"] == sum(rules.node_params(n.counts) for n in kept)
    # the head, counted by hand: two 1x1 convs with bias; c5 is at 1/16 (dilated), s8 at 1/8
    side8 = -(-resolution // 8)
    side16 = -(-resolution // 16)
    c5 = alone.nodes[alone.taps["c5"]].shape.c
    s8 = alone.nodes[alone.taps["s8"]].shape.c
    assert (c5, s8) == ((960, 40) if alpha == 1 else (480, 24))
    classes = 21
    assert parts[1]["macs"] == side8 ** 2 * s8 * classes + side16 ** 2 * c5 * classes
    assert parts[1]["params"] == s8 * classes + classes + c5 * classes + classes


def test_several_outputs_stay_alive_in_memory():
    text = HEAD + """layers:
  - {name: a, kind: conv, out: 8, kernel: 1}
  - {name: b, kind: conv, out: 2, kernel: 1}
  - {name: c, kind: conv, out: 2, kernel: 1}
outputs: [a, c]
"""
    graph = build(text)
    memory = analyze_memory(graph, "fp32")
    live = {layer.name: layer.live_bytes for layer in memory.layers}
    px = 16 * 16 * 4
    # a (8 channels) is an output: alive until the end, beside b and then c
    assert live == {"a": (3 + 8) * px, "b": (8 + 2) * px, "c": (8 + 2 + 2) * px}
    single = analyze_memory(build(text.replace("outputs: [a, c]", "outputs: [c]")), "fp32")
    assert {layer.name: layer.live_bytes for layer in single.layers}["c"] == (2 + 2) * px


def test_optional_outputs_not_built_are_left_out():
    text = HEAD + """parameters: {aux: true}
layers:
  - {name: a, kind: conv, out: 8, kernel: 1}
  - {name: aux_out, kind: conv, out: 2, kernel: 1, repeat: "1 if aux else 0"}
  - {name: main, kind: conv, out: 4, kernel: 1, from: a}
outputs: [main, aux_out]
"""
    with_aux = build(text)
    assert with_aux.output_labels() == ["main", "aux_out"]
    without = build(text, aux=False)
    assert without.output_labels() == ["main"]
    assert [n.name for n in without.nodes] == ["a", "main"]


def test_names_inside_a_block_are_found_in_its_scope():
    text = HEAD + """blocks:
  gated:
    parameters: {c: null}
    layers:
      - {name: x, kind: conv, out: c, kernel: 1}
      - {name: g, kind: conv, out: c, kernel: 1, act: sigmoid}
      - {name: m, kind: multiply, from: [x, g]}
layers:
  - {name: one, kind: gated, c: 4}
  - {name: two, kind: gated, c: 4}
"""
    graph = build(text)
    node = {n.name: n for n in graph.nodes}
    index = {n.name: i for i, n in enumerate(graph.nodes)}
    assert node["two.m"].inputs == (index["two.x"], index["two.g"])
    assert node["two.x"].inputs == (index["one.m"],)


# ------------------------------------------------------------------ ONNX and spec round trips
ROUND_TRIP = HEAD + """layers:
  - {name: stem, kind: conv, out: 8, stride: 2, bn: true, act: relu}
  - {name: a, kind: conv, out: 8, kernel: 1}
  - {name: gate_pool, kind: global_avg_pool}
  - {name: gate, kind: conv, out: 8, kernel: 1, bias: true, act: sigmoid}
  - {name: gated, kind: multiply, from: [a, gate]}
  - {name: b, kind: conv, out: 8, kernel: 3, from: stem}
  - {name: sum, kind: add, from: [gated, b]}
  - {name: up, kind: upsample, scale: 2, mode: bilinear}
  - {name: side, kind: conv, out: 4, kernel: 1, from: b}
outputs: [up, side, a]
"""


def _counts(graph):
    return [(tuple(n.shape), n.counts) for n in graph.nodes]


def test_several_outputs_round_trip_through_the_spec_writer():
    from costcalc.importers.spec_text import spec_text

    graph = build(ROUND_TRIP)
    text = spec_text(graph)
    again = parse(text, "again.yaml").build()
    assert [tuple(again.nodes[i].shape) for i in again.output_indices()] == \
        [tuple(graph.nodes[i].shape) for i in graph.output_indices()]
    for name in ("paper", "fvcore", "torchvision"):
        assert report(again, name).total == report(graph, name).total


def test_several_outputs_round_trip_through_onnx(tmp_path):
    pytest.importorskip("onnx")
    from costcalc.api import load
    from onnx_writer import write_graph

    graph = build(ROUND_TRIP)
    imported = load(write_graph(graph, tmp_path / "dag.onnx")).build({})
    assert len(imported.output_indices()) == 3
    assert sorted(tuple(imported.nodes[i].shape) for i in imported.output_indices()) == \
        sorted(tuple(graph.nodes[i].shape) for i in graph.output_indices())
    for name in ("paper", "fvcore", "torchvision"):
        assert report(imported, name).total == report(graph, name).total


SHARED = HEAD + """blocks:
  head:
    layers:
      - {name: conv, kind: conv, out: 4, kernel: 3, bias: true, act: relu}
      - {name: cls, kind: conv, out: 2, kernel: 1, bias: true}
layers:
  - {name: p0, kind: conv, out: 8, kernel: 1}
  - {name: p1, kind: maxpool, kernel: 2}
  - {name: h0, kind: head, from: p0}
  - {name: h1, kind: head, from: p1, shares: h0}
  - {name: h2, kind: head, from: p1, shares: h1}
outputs: [h0, h1, h2]
"""


def test_shared_weights_are_counted_once():
    rep = report(build(SHARED), "torchvision")
    rows = {r.name: r for r in rep.layers}
    assert rows["h0.conv"].params == 8 * 4 * 9 + 4 and rows["h0.cls"].params == 4 * 2 + 2
    assert all(rows[f"h{j}.{n}"].params == 0 for j in (1, 2) for n in ("conv", "cls"))
    assert rows["h1.conv"].macs == 8 * 8 * 8 * 4 * 9 == rows["h0.conv"].macs // 4
    assert rep.total.params == 8 * 3 + (8 * 4 * 9 + 4) + (4 * 2 + 2)  # p0: no bias


@pytest.mark.parametrize("fmt, shown", [
    ("latex", r"outputs: a\&b\_\textless{}i\textgreater{}\%\$"),
    ("html", "outputs: a&amp;b_&lt;i&gt;%$"),
    ("markdown", r"outputs: a\&b\_\<i\>%\$")])
def test_output_names_are_escaped_in_every_format(fmt, shown):
    from costcalc.render import Format, render

    text = HEAD + """layers:
  - {name: "a&b_<i>%$", kind: conv, out: 4}
  - {name: "c", kind: conv, out: 4, from: input}
outputs: ["a&b_<i>%$", c]
"""
    assert shown in render(report_table(report(build(text))), Format(fmt))


def test_a_head_reads_backbone_entry_and_node_names():
    text = """name: h
parameters: {resolution: 300}
backbone: {model: mobilenet_v1, set: {resolution: resolution}}
layers:
  - {name: p, kind: conv, out: 12, kernel: 1, from: backbone.sep10}
  - {name: q, kind: conv, out: 12, kernel: 1, from: backbone.sep12.pw}
outputs: [p, q]
"""
    graph = build(text)
    # TF's Conv2d_11_pointwise and Conv2d_13_pointwise, which SSD reads: 19x19 and 10x10
    assert [tuple(graph.nodes[i].shape) for i in graph.output_indices()] == [(12, 19, 19),
                                                                            (12, 10, 10)]
    index = {n.name: i for i, n in enumerate(graph.nodes)}
    assert graph.nodes[index["p"]].inputs == (index["backbone.sep10.pw"],)
    assert "not counted: 2 layers no output reaches (backbone.pool, backbone.fc)" in graph.notes
