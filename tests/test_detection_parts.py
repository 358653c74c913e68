"""The parts the detection and segmentation specs are made of: the ``roi_crop`` kind, the
depthwise separable pair's ``dilation``, and the ``dilated`` (output stride 16) v1 and v2
backbones. Tables of cases; the expected counts are worked out in the comments."""
from __future__ import annotations

import pytest
import sympy

import costcalc
from costcalc.costing import conventions
from costcalc.costing.report import Report
from costcalc.graph import quantities as q
from costcalc.spec.document import parse


def build(text: str):
    return parse(text, "<test>").build({})


@pytest.mark.parametrize("size, proposals, stride, out_shape, macs", [
    # 16 channels cropped to S x S N; a 3x3 conv to 8 channels, padding 1. Per crop at stride 1:
    # 9 * 16 * 8 * S^2 MACs; at stride 2 on an even S: 9 * 16 * 8 * (S/2)^2.
    (8, 1, 1, (8, 8, 8), 9 * 16 * 8 * 64),
    (8, 10, 1, (8, 8, 80), 10 * 9 * 16 * 8 * 64),
    (8, 10, 2, (8, 4, 40), 10 * 9 * 16 * 8 * 16),
    (14, 300, 2, (8, 7, 2100), 300 * 9 * 16 * 8 * 49),
])
def test_roi_crop_costs_the_second_stage_once_per_proposal(size, proposals, stride, out_shape,
                                                           macs):
    graph = build(f"input: [16, 19, 19]\nlayers:\n"
                  f"  - {{kind: roi_crop, size: {size}, proposals: {proposals}}}\n"
                  f"  - {{kind: conv, out: 8, kernel: 3, stride: {stride}, padding: 1}}\n")
    crop, conv = graph.nodes
    assert tuple(crop.shape) == (16, size, size * proposals)
    assert crop.counts == {"roi_samples": 16 * size * size * proposals}
    assert tuple(conv.shape) == out_shape
    assert conv.counts[q.CONV_MACS] == macs
    assert conv.counts[q.WEIGHTS] == 9 * 16 * 8  # weights once, whatever N


@pytest.mark.parametrize("convention", sorted(conventions.CONVENTIONS))
def test_roi_crop_is_free_under_every_convention(convention):
    """Bilinear sampling is no multiply-add of the network: no built-in convention charges it."""
    graph = build("input: [4, 9, 9]\nlayers:\n  - {kind: roi_crop, size: 4, proposals: 3}\n")
    report = Report.from_graph(graph, {}, conventions.get(convention))
    assert (report.total.macs, report.total.params) == (0, 0)


def test_roi_crop_symbolic_width():
    n = sympy.Symbol("N", positive=True, integer=True)
    from costcalc.graph.builder import GraphBuilder
    from costcalc.graph.registry import Shape, kind_named
    b = GraphBuilder(symbolic=True)
    x = b.input(Shape(512, 19, 19))
    y = kind_named("roi_crop").build(b, {"size": 14, "proposals": n}, x, "crops")
    assert y.shape == Shape(512, 14, 14 * n)


@pytest.mark.parametrize("model, tap, side", [
    # 513 input: stride 2 five times -> 17 (output stride 32); dilated stops at 33 (stride 16)
    ("mobilenet_v1", "sep12.pw", 33), ("mobilenet_v2", "b16.project", 33),
])
def test_dilated_backbones_stop_at_output_stride_16(model, tap, side):
    plain = costcalc.analyze(model, resolution=513)
    dilated = costcalc.analyze(model, resolution=513, dilated=True)
    shapes = {r.name: r.output for r in dilated.layers}
    assert shapes[tap][1:] == (side, side)
    assert {r.name: r.output for r in plain.layers}[tap][1:] == (17, 17)
    # The stride-1 layers cost what they cost at stride 1; dilation changes no count.
    assert dilated.total.params == plain.total.params
    assert dilated.total.macs > plain.total.macs


@pytest.mark.parametrize("dilation", [1, 2, 4])
def test_depthwise_separable_dilation_keeps_the_counts(dilation):
    graph = build("input: [32, 17, 17]\nlayers:\n"
                  f"  - {{kind: depthwise_separable, out: 64, dilation: {dilation}}}\n")
    dw, pw = graph.nodes
    assert dw.info.get("dilation", 1) in (dilation, (dilation, dilation))
    assert (dw.counts[q.CONV_MACS], pw.counts[q.CONV_MACS]) == (9 * 32 * 289, 32 * 64 * 289)
    assert tuple(pw.shape) == (64, 17, 17)


@pytest.mark.parametrize("settings, params, macs", [
    # torchvision 0.29.1 mobilenet_v3_small(**settings) on torch 2.14.1 at 224:
    # sum(p.numel()) and FlopCounterMode's total / 2, measured in the cross-check environment.
    ({}, 2_542_856, 56_510_400),
    ({"reduced_tail": True}, 1_099_672, 43_763_584),
    ({"reduced_tail": True, "dilated": True}, 1_099_672, 59_131_552),
])
def test_v3_small_reduced_tail_and_dilated_are_torchvisions(settings, params, macs):
    total = costcalc.analyze("v3-small", "torchvision", flavor="torchvision", **settings).total
    assert (total.params, total.macs) == (params, macs)
