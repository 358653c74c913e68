"""torchvision's detection and segmentation builds on MobileNet v3-Large, checked three ways.

1. Published: ``num_params`` and ``_ops`` of each weights' ``meta`` in torchvision 0.29.1
   (``torchvision/models/detection/ssdlite.py``, ``faster_rcnn.py``,
   ``segmentation/lraspp.py``, ``deeplabv3.py``), at the weights' own input size (320 for the
   detectors, 520 for segmentation). ``num_params`` is ``sum(p.numel())``: BatchNorm's gamma and
   beta are parameters (the torchvision convention), except in Faster R-CNN, whose trained
   backbone uses FrozenBatchNorm2d (gamma and beta are buffers: weights + biases only, the paper
   convention) and whose ROI box head's parameters count although its cost depends on the
   proposals (counted here with ``proposals`` >= 1). ``_ops`` (GMACs of conv and linear layers) is
   printed to 3 decimals; Faster R-CNN's is measured with no proposal reaching the box head.
2. Independent recount: a torch-free count written here after torchvision's constructors must
   equal the engine's exact MACs and params, at the weights' size and at a second size, and at
   other parameter settings (width, classes, anchors).
3. Structure: backbone variants (dilated, reduced tail), parts summing to totals, the pruned
   classifier, the box head per proposal, shared RPN weights.
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest

import costcalc
from costcalc.costing.report_table import report_table

TV = "torchvision 0.29.1 torchvision/models/"
# (zoo model, parameters, params convention, num_params, _ops as printed, source)
PUBLISHED = [
    ("ssdlite320_mobilenet_v3_large", {}, "torchvision", 3_440_060, "0.583",
     TV + "detection/ssdlite.py SSDLite320_MobileNet_V3_Large_Weights.COCO_V1 meta"),
    ("lraspp_mobilenet_v3_large", {}, "torchvision", 3_221_538, "2.086",
     TV + "segmentation/lraspp.py LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1 meta"),
    ("deeplabv3_mobilenet_v3_large", {}, "torchvision", 11_029_328, "10.452",
     TV + "segmentation/deeplabv3.py DeepLabV3_MobileNet_V3_Large_Weights."
     "COCO_WITH_VOC_LABELS_V1 meta (aux classifier included)"),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", {}, "paper", 19_386_354, "0.719",
     TV + "detection/faster_rcnn.py FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1 meta "
     "(FrozenBatchNorm2d: gamma, beta are buffers)"),
]


def gmacs(macs: int) -> str:
    return str(Decimal(macs) .scaleb(-9).quantize(Decimal("0.001"), ROUND_HALF_EVEN))


@pytest.mark.parametrize("model, params, convention, num_params, ops, source", PUBLISHED)
def test_torchvision_published(model, params, convention, num_params, ops, source):
    macs = costcalc.analyze(model, "paper", **params).total.macs
    assert gmacs(macs) == ops
    with_box_head = {"proposals": 1} if "fasterrcnn" in model else {}
    assert costcalc.analyze(model, convention, **params, **with_box_head).total.params == \
        num_params


# ----------------------------------------------------------------------------- 2. recount
def make_divisible(v, divisor=8, min_value=None):  # torchvision/models/_utils.py
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Recount:
    """Every nn.Parameter (BatchNorm gamma and beta unless ``frozen``) and the multiply-adds of
    Conv2d and Linear, following torchvision's constructors."""

    def __init__(self, frozen: bool = False):
        self.macs = 0
        self.params = 0
        self.frozen = frozen

    def conv(self, x, cout, k, s=1, p=None, groups=1, bias=False, d=1, bn=False, times=1,
             shared=False):
        c, h, w = x
        p = (k - 1) // 2 * d if p is None else p
        h = (h + 2 * p - d * (k - 1) - 1) // s + 1
        w = (w + 2 * p - d * (k - 1) - 1) // s + 1
        weights = cout * (c // groups) * k * k
        if not shared:
            self.params += weights + (cout if bias else 0) + (2 * cout if bn and not
                                                              self.frozen else 0)
        self.macs += weights * h * w * times
        return (cout, h, w)

    def linear(self, cin, cout, rows):
        self.params += cin * cout + cout
        self.macs += cin * cout * rows
        return cout

    # ------------------------------------------------------------ torchvision mobilenetv3.py
    def v3_large(self, res, alpha=1, dilated=False, reduced=False):
        rd, dl = (2 if reduced else 1), (2 if dilated else 1)
        rows = [(16, 3, 16, 16, False, 1, 1), (16, 3, 64, 24, False, 2, 1),
                (24, 3, 72, 24, False, 1, 1), (24, 5, 72, 40, True, 2, 1),
                (40, 5, 120, 40, True, 1, 1), (40, 5, 120, 40, True, 1, 1),
                (40, 3, 240, 80, False, 2, 1), (80, 3, 200, 80, False, 1, 1),
                (80, 3, 184, 80, False, 1, 1), (80, 3, 184, 80, False, 1, 1),
                (80, 3, 480, 112, True, 1, 1), (112, 3, 672, 112, True, 1, 1),
                (112, 5, 672, 160 // rd, True, 2, dl),
                (160 // rd, 5, 960 // rd, 160 // rd, True, 1, dl),
                (160 // rd, 5, 960 // rd, 160 // rd, True, 1, dl)]
        adjust = lambda c: make_divisible(c * alpha, 8)  # noqa: E731
        taps = {}
        x = self.conv((3, res, res), adjust(16), 3, 2, bn=True)
        for index, (cin, k, exp, out, se, s, d) in enumerate(rows):
            cin, exp, out = adjust(cin), adjust(exp), adjust(out)
            y = x
            if exp != cin:
                y = self.conv(y, exp, 1, bn=True)
            if index == 12:
                taps["c4"] = y  # SSDLite's C4: the expansion output
            y = self.conv(y, exp, k, 1 if d > 1 else s, groups=exp, d=d, bn=True)
            if se:
                squeeze = make_divisible(exp // 4, 8)
                self.conv(self.conv((exp, 1, 1), squeeze, 1, bias=True), exp, 1, bias=True)
            x = self.conv(y, out, 1, bn=True)
            if index == 3:
                taps["s8"] = x  # segmentation's low-level feature (features[4])
            if index == 12:
                taps["c4_out"] = x  # Faster R-CNN's features[13]
        taps["c5"] = self.conv(x, 6 * x[0], 1, bn=True)  # classifier not built
        return taps

    # ------------------------------------------------------------ detection/ssdlite.py
    def ssdlite(self, res=320, classes=91, anchors=6, width=1, alpha=1):
        taps = self.v3_large(res, alpha, reduced=True)
        maps = [taps["c4"], taps["c5"]]
        x = taps["c5"]
        for depth in (512, 256, 256, 128):
            out = max(16, int(depth * width))
            y = self.conv(x, out // 2, 1, bn=True)
            y = self.conv(y, out // 2, 3, 2, 1, groups=out // 2, bn=True)
            x = self.conv(y, out, 1, bn=True)
            maps.append(x)
        for m in maps:
            for out in (classes * anchors, 4 * anchors):
                self.conv(self.conv(m, m[0], 3, groups=m[0], bn=True), out, 1, bias=True)

    # ------------------------------------------------------------ segmentation/lraspp.py
    def lraspp(self, res=520, classes=21, inter=128, alpha=1):
        taps = self.v3_large(res, alpha, dilated=True)
        high, low = taps["c5"], taps["s8"]
        x = self.conv(high, inter, 1, bn=True)
        self.conv((high[0], 1, 1), inter, 1)  # the gate: pool, 1x1 conv, sigmoid
        self.conv((inter, low[1], low[2]), classes, 1, bias=True)  # after the upsample
        self.conv(low, classes, 1, bias=True)
        return x

    # ------------------------------------------------------------ segmentation/deeplabv3.py
    def deeplabv3(self, res=520, classes=21, aux=True, alpha=1):
        taps = self.v3_large(res, alpha, dilated=True)
        c5 = taps["c5"]
        branches = [self.conv(c5, 256, 1, p=0, bn=True)]
        branches += [self.conv(c5, 256, 3, p=r, d=r, bn=True) for r in (12, 24, 36)]
        self.conv((c5[0], 1, 1), 256, 1, bn=True)  # image pooling
        x = self.conv((256 * 5, c5[1], c5[2]), 256, 1, bn=True)  # project
        x = self.conv(x, 256, 3, p=1, bn=True)
        self.conv(x, classes, 1, bias=True)
        if aux:  # FCNHead(40, classes): inter = in // 4
            low = taps["s8"]
            y = self.conv(low, low[0] // 4, 3, p=1, bn=True)
            self.conv(y, classes, 1, bias=True)

    # ------------------------------------------------------------ detection/faster_rcnn.py
    def frcnn(self, res=320, classes=91, anchors=15, proposals=0, alpha=1):
        taps = self.v3_large(res, alpha)
        c4, c5 = taps["c4_out"], taps["c5"]
        inner1 = self.conv(c5, 256, 1, p=0, bias=True)
        p1 = self.conv(inner1, 256, 3, bias=True)
        inner0 = self.conv(c4, 256, 1, p=0, bias=True)
        p0 = self.conv(inner0, 256, 3, bias=True)
        pool = (256, (p1[1] - 1) // 2 + 1, (p1[2] - 1) // 2 + 1)  # max_pool2d(x, 1, 2, 0)
        for level, shared in ((p0, False), (p1, True), (pool, True)):
            y = self.conv(level, 256, 3, bias=True, shared=shared)
            self.conv(y, anchors, 1, bias=True, shared=shared)
            self.conv(y, 4 * anchors, 1, bias=True, shared=shared)
        if proposals:
            hidden = self.linear(256 * 7 * 7, 1024, proposals)
            hidden = self.linear(hidden, 1024, proposals)
            self.linear(hidden, classes, proposals)
            self.linear(hidden, 4 * classes, proposals)


# (zoo model, spec parameters, recount method, its arguments, frozen BN, convention)
RECOUNT = [
    ("ssdlite320_mobilenet_v3_large", {}, "ssdlite", {}, False),
    ("ssdlite320_mobilenet_v3_large", {"resolution": 512}, "ssdlite", {"res": 512}, False),
    ("ssdlite320_mobilenet_v3_large", {"classes": 21, "anchors": 4, "extra_width": "0.5",
                                       "alpha": "0.75"},
     "ssdlite", {"classes": 21, "anchors": 4, "width": 0.5, "alpha": 0.75}, False),
    ("lraspp_mobilenet_v3_large", {}, "lraspp", {}, False),
    ("lraspp_mobilenet_v3_large", {"resolution": 1024}, "lraspp", {"res": 1024}, False),
    ("lraspp_mobilenet_v3_large", {"classes": 19, "width": 64, "alpha": "0.5"}, "lraspp",
     {"classes": 19, "inter": 64, "alpha": 0.5}, False),
    ("deeplabv3_mobilenet_v3_large", {}, "deeplabv3", {}, False),
    ("deeplabv3_mobilenet_v3_large", {"aux": False}, "deeplabv3", {"aux": False}, False),
    ("deeplabv3_mobilenet_v3_large", {"resolution": 321, "classes": 2}, "deeplabv3",
     {"res": 321, "classes": 2}, False),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", {}, "frcnn", {}, True),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", {"proposals": 150}, "frcnn",
     {"proposals": 150}, True),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", {"resolution": 800, "anchors": 9,
                                               "proposals": 7},
     "frcnn", {"res": 800, "anchors": 9, "proposals": 7}, True),
]


@pytest.mark.parametrize("model, params, method, arguments, frozen", RECOUNT)
def test_engine_equals_independent_recount(model, params, method, arguments, frozen):
    count = Recount(frozen)
    getattr(count, method)(**arguments)
    report = costcalc.analyze(model, "paper" if frozen else "torchvision", **params)
    assert (report.total.macs, report.total.params) == (count.macs, count.params)


# ----------------------------------------------------------------------------- 3. structure
MODELS = [row[0] for row in PUBLISHED]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("convention", ["paper", "torchvision", "fvcore"])
def test_parts_sum_to_totals_and_classifier_is_pruned(model, convention):
    report = costcalc.analyze(model, convention, proposals=3) if "fasterrcnn" in model else \
        costcalc.analyze(model, convention)
    table = report_table(report)
    parts = table.data["parts"]
    assert [p["name"] for p in parts] == ["backbone", "head"]
    for key in ("macs", "params", "activations"):
        assert sum(p[key] for p in parts) == getattr(report.total, key)
    assert sum(b["macs"] for b in table.data["blocks"]) == report.total.macs
    names = {n.name for n in report.graph.nodes}
    assert "backbone.fc" not in names and "backbone.stem" in names
    assert any(line.startswith("not counted: 4 layers no output reaches (backbone.pool")
               for line in table.footer)


@pytest.mark.parametrize("variant, stride, channels", [
    ({}, 32, 960), ({"dilated": True}, 16, 960), ({"reduced_tail": True}, 32, 480),
    ({"dilated": True, "reduced_tail": True}, 16, 480)])
def test_v3_backbone_variants(variant, stride, channels):
    report = costcalc.analyze("mobilenet_v3_large", "paper", flavor="torchvision", **variant)
    graph = report.graph
    c5 = graph.nodes[graph.taps["c5"]].shape
    assert tuple(c5) == (channels, 224 // stride, 224 // stride)
    dw = [n for n in graph.nodes if n.name in ("b12.dw", "b13.dw", "b14.dw")]
    assert {n.info["dilation"] for n in dw} == {2 if variant.get("dilated") else 1}


def test_default_v3_is_unchanged_by_the_variants():
    report = costcalc.analyze("mobilenet_v3_large")
    assert (report.total.macs, report.total.params) == (216_589_760, 5_458_632)


def test_box_head_is_counted_per_proposal():
    model = "fasterrcnn_mobilenet_v3_large_320_fpn"
    base = costcalc.analyze(model)
    rows = {n: costcalc.analyze(model, proposals=n).total for n in (1, 2, 150)}
    per = rows[2].macs - rows[1].macs
    assert per == 256 * 49 * 1024 + 1024 * 1024 + 1024 * 91 + 1024 * 364
    assert rows[150].macs == base.total.macs + 150 * per
    assert rows[1].params == rows[150].params
    assert any("ROI box head only with proposals > 0" in note for note in base.graph.notes)


@pytest.mark.parametrize("proposals", [1, 3, 150])
@pytest.mark.parametrize("convention,per_element", [("ptflops", 1), ("fvcore", 0),
                                                    ("flopcounter", 0)])
def test_box_head_relu_is_a_function(proposals, convention, per_element):
    """torchvision's TwoMLPHead calls F.relu after fc6 and fc7 (no module): ptflops charges
    each element once, as it does a functional ReLU, not twice as a module's; the counters that
    skip ReLU charge nothing."""
    from costcalc.costing import conventions

    rules = conventions.get(convention)
    report = costcalc.analyze("fasterrcnn_mobilenet_v3_large_320_fpn", convention,
                              proposals=proposals)
    relus = [n for n in report.graph.nodes if n.name in ("fc6_relu", "fc7_relu")]
    assert [n.kind for n in relus] == ["activation", "activation"]
    assert sum(rules.reported(n.counts) for n in relus) == per_element * 2 * 1024 * proposals


def test_rpn_weights_are_shared_across_levels():
    report = costcalc.analyze("fasterrcnn_mobilenet_v3_large_320_fpn")
    rows = {r.name: r for r in report.layers}
    assert rows["rpn0.conv"].params == 256 * 256 * 9 + 256
    assert rows["rpn1.conv"].params == rows["rpn2.conv"].params == 0
    assert rows["rpn1.conv"].macs == rows["rpn0.conv"].macs == 4 * rows["rpn2.conv"].macs


def test_segmentation_outputs_are_at_the_input_size():
    report = costcalc.analyze("deeplabv3_mobilenet_v3_large", resolution=513)
    graph = report.graph
    assert graph.output_labels() == ["out", "aux_out"]
    assert {tuple(graph.nodes[i].shape) for i in graph.output_indices()} == {(21, 513, 513)}
    without = costcalc.analyze("deeplabv3_mobilenet_v3_large", aux=False).graph
    assert without.output_labels() == ["out"]


def test_head_parameters_are_symbolic():
    """Closed forms in the head's parameters: the class predictors' 1x1 convs cost
    sum(H W C_in) MACs and sum(C_in + 1) params per class and anchor, over the six maps."""
    import sympy

    from costcalc.spec import models
    from costcalc.symbolic.derive import symbolic_report

    spec = models.load("ssdlite320_mobilenet_v3_large")
    classes, anchors = sympy.symbols("classes anchors", positive=True)
    values = spec.resolve()
    values.update(classes=classes, anchors=anchors)
    total = symbolic_report(spec, values).total
    maps = [(20, 672), (10, 480), (5, 512), (3, 256), (2, 256), (1, 128)]  # side, channels
    macs = sympy.Poly(sympy.expand(total.macs), classes, anchors)
    params = sympy.Poly(sympy.expand(total.params), classes, anchors)
    assert macs.coeff_monomial(classes * anchors) == sum(s * s * c for s, c in maps)
    assert params.coeff_monomial(classes * anchors) == sum(c + 1 for _, c in maps)
    exact = costcalc.analyze("ssdlite320_mobilenet_v3_large", classes=21, anchors=4).total
    point = {classes: 21, anchors: 4}
    assert (total.macs.subs(point), total.params.subs(point)) == (exact.macs, exact.params)


@pytest.mark.parametrize("model, params, taps", [
    ("mobilenet_v2", {"resolution": 300}, {"c4": (576, 19, 19), "c5": (1280, 10, 10)}),
    ("mobilenet_v3_large", {"resolution": 320, "reduced_tail": True},
     {"s8": (40, 40, 40), "c4": (672, 20, 20), "c4_out": (80, 10, 10), "c5": (480, 10, 10)}),
])
def test_backbone_taps(model, params, taps):
    """The tensors SSDLite reads (the v2 paper Sec. 6.2: the expansion of layer 15 at 19 x 19
    and the last layer at 10 x 10 for a 300 x 300 input), and v3's."""
    graph = costcalc.analyze(model, **params).graph
    assert {tap: tuple(graph.nodes[i].shape) for tap, i in graph.taps.items()} == taps
