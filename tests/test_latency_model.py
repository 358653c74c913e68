"""The latency model on hand-computed single layers: each bound, each runtime, each fusion."""
from fractions import Fraction

import pytest

from costcalc.latency.adapter import LayerRecord
from costcalc.latency.model import Device, costs, predict

ETA = {op: 1 for op in ("conv", "depthwise", "pointwise", "linear", "elementwise")}


def device(peak=1, bandwidth=1, t_launch=1, t_fixed=0, eta=None, eta_memory=1):
    """peak GMAC/s, bandwidth GB/s, t_launch us, t_fixed ms."""
    return Device("test", "", {"fp32": peak, "fp16": peak, "int8": peak}, bandwidth,
                  eta or ETA, eta_memory, t_launch, t_fixed)


def conv(op, cin, cout, k, pixels, groups=1, stride=1, post_ops=0, bias=True):
    """A conv record written out by hand: MACs = k^2 (cin/g) cout pixels."""
    macs = k * k * (cin // groups) * cout * pixels
    weights = k * k * (cin // groups) * cout + (cout if bias else 0)
    return LayerRecord("l", "b", "conv", op, macs, 0, (-1,), (cin * pixels * stride * stride,),
                       cout * pixels, weights, k, stride, groups, cin, cout, pixels,
                       post_ops, post_ops * cout * pixels)


PW = conv("pointwise", 64, 64, 1, 100)   # 409600 MACs; 6400 + 6400 + 4160 elements
DW = conv("depthwise", 64, 64, 3, 100, groups=64)  # 57600 MACs; 6400 + 6400 + 640
DW_S2 = conv("depthwise", 64, 64, 3, 100, groups=64, stride=2)  # input 25600
STD = conv("conv", 4, 8, 3, 100)         # 28800 MACs; 400 + 800 + 296; im2col 2*9*4*100
FC = LayerRecord("fc", "fc", "linear", "linear", 64, 0, (-1,), (8,), 8, 72)

# (record, fp32 device, runtime, fusion, work, bytes, launches, microseconds, bound)
CASES = [
    # compute: 409600 MACs / 1 GMAC/s = 409.6 us > 67840 B / 1 GB/s = 67.84 us; + 1 us launch
    ("pointwise compute-bound", PW, device(), "gemm", "conv-bn-act",
     409600, 4 * 16960, 1, Fraction("410.6"), "compute"),
    # memory: 57600 / 10 GMAC/s = 5.76 us < 53760 B / 1 GB/s = 53.76 us
    ("depthwise memory-bound", DW, device(peak=10), "gemm", "conv-bn-act",
     57600, 4 * 13440, 1, Fraction("54.76"), "memory"),
    # stride 2 reads 4x the pixels it writes: 25600 + 6400 + 640 elements
    ("depthwise stride 2", DW_S2, device(peak=10), "gemm", "conv-bn-act",
     57600, 4 * 32640, 1, Fraction("131.56"), "memory"),
    # launch: 64 MACs = 0.064 us, 88 elements = 0.352 us, launch 1 us
    ("linear launch-bound", FC, device(), "gemm", "conv-bn-act",
     64, 352, 1, Fraction("1.352"), "launch"),
    # gemm lowers a 3x3 standard conv through im2col: + 2 * 7200 elements, 2 launches
    ("3x3 conv gemm im2col", STD, device(peak=1000), "gemm", "conv-bn-act",
     28800, 4 * (1496 + 7200), 2, Fraction("36.784"), "memory"),
    ("3x3 conv direct", STD, device(peak=1000), "direct", "conv-bn-act",
     28800, 4 * 1496, 1, Fraction("6.984"), "memory"),
    ("3x3 conv caffe-group (1 group)", STD, device(peak=1000), "caffe-group", "conv-bn-act",
     28800, 4 * (1496 + 7200), 2, Fraction("36.784"), "memory"),
    # caffe-group: one im2col of the whole input + one GEMM per channel = 65 launches,
    # im2col 2 * 9 * 64 * 100 = 115200 elements
    ("depthwise caffe-group", DW, device(peak=10), "caffe-group", "conv-bn-act",
     57600, 4 * (13440 + 115200), 65, Fraction("579.56"), "memory"),
    ("depthwise direct", DW, device(peak=10), "direct", "conv-bn-act",
     57600, 4 * 13440, 1, Fraction("54.76"), "memory"),
    # pointwise needs no im2col under any runtime
    ("pointwise caffe-group", PW, device(), "caffe-group", "conv-bn-act",
     409600, 4 * 16960, 1, Fraction("410.6"), "compute"),
    # fusion none: BN and ReLU each read and write the output (6400 elements) and launch
    ("conv+bn+relu unfused", conv("pointwise", 64, 64, 1, 100, post_ops=2), device(),
     "gemm", "none", 409600 + 12800, 4 * (16960 + 25600), 3, Fraction("425.4"), "compute"),
    ("conv+bn+relu fused", conv("pointwise", 64, 64, 1, 100, post_ops=2), device(),
     "gemm", "conv-bn-act", 409600, 4 * 16960, 1, Fraction("410.6"), "compute"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_single_layer(case):
    _, record, dev, runtime, fusion, work, nbytes, launches, micros, bound = case
    cost = costs([record], "fp32", fusion, runtime)[0]
    assert (cost.work, cost.bytes, cost.launches) == (work, nbytes, launches)
    layer = predict([record], dev, "fp32", fusion, runtime).layers[0]
    assert layer.time * 1e6 == pytest.approx(float(micros), rel=1e-12)
    assert layer.bound == bound
    assert cost.intensity == Fraction(work, nbytes)


@pytest.mark.parametrize("dtype,size", [("fp32", 4), ("fp16", 2), ("int8", 1)])
def test_dtype_scales_bytes_not_work(dtype, size):
    cost = costs([DW], dtype)[0]
    assert (cost.work, cost.bytes) == (57600, size * 13440)


def test_fixed_overhead_and_sum():
    prediction = predict([PW, DW], device(t_fixed=2))
    assert prediction.total == pytest.approx(2e-3 + sum(layer.time for layer in prediction.layers))
    assert prediction.macs == PW.macs + DW.macs


def _chain(*specs):
    """Records in one chain: (name, block, kind, op, macs, element_ops, out, weights, post)."""
    out, previous, size = [], -1, 1000
    for name, block, kind, op, macs, element_ops, elements, weights, post in specs:
        out.append(LayerRecord(name, block, kind, op, macs, element_ops, (previous,), (size,),
                               elements, weights, post_ops=post, post_elements=post * elements,
                               is_view=op == "view"))
        previous, size = len(out) - 1, elements
    return out


BLOCK = _chain(("a.dw", "a", "dwconv", "depthwise", 9000, 0, 1000, 9, 1),
               ("a.pw", "a", "pwconv", "pointwise", 2000000, 0, 2000, 2000, 1),
               ("b.act", "b", "activation", "elementwise", 0, 2000, 2000, 0, 0),
               ("b.flat", "b", "flatten", "view", 0, 0, 2000, 0, 0),
               ("c.fc", "c", "linear", "linear", 20000, 0, 10, 20010, 0))


@pytest.mark.parametrize("fusion,expected", [
    # (bytes / 4, launches) per layer
    ("none", [(1000 + 1000 + 9 + 2 * 1000, 2), (1000 + 2000 + 2000 + 2 * 2000, 2),
              (4000, 1), (0, 0), (2000 + 10 + 20010, 1)]),
    ("conv-bn-act", [(2009, 1), (5000, 1), (0, 0), (0, 0), (22020, 1)]),
    # block a: the 1000-element tensor between dw and pw never reaches memory; one launch
    ("block", [(1000 + 9, 1), (2000 + 2000, 0), (0, 0), (0, 0), (2000 + 10 + 20010, 1)]),
])
def test_fusion(fusion, expected):
    result = [(c.bytes // 4, c.launches) for c in costs(BLOCK, "fp32", fusion, "gemm")]
    assert result == expected


def test_views_cost_nothing():
    layer = predict(BLOCK, device()).layers[3]
    assert (layer.time, layer.bound) == (0, "-")


def test_ridge_point():
    dev = device(peak=10, bandwidth=2, eta={**ETA, "depthwise": Fraction(1, 2)},
                 eta_memory=Fraction(1, 2))
    assert dev.ridge("depthwise", "fp32") == pytest.approx(5.0)  # 5 GMAC/s / 1 GB/s
    assert dev.ridge("pointwise", "fp32") == pytest.approx(10.0)
