"""The ``upsample`` kind: nearest or bilinear resampling by a whole scale or to a size."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import Field, Shape, register

# Measured on nn.Upsample(scale_factor=2) from 16x8x8: per output element fvcore charges 1
# (nearest) and 4 (bilinear), thop 1 and 11, ptflops 2 either way (module hook + patched
# F.interpolate), onnx-tool 0 and 4; calflops' FLOPs 1 per input element either way (inside a
# container); torchinfo and FlopCounterMode 0.
NEAREST = q.declare("upsample_nearest", "nearest upsample output elements",
                    macs={"fvcore": 1, "thop": 1, "ptflops": 2})
BILINEAR = q.declare("upsample_bilinear", "bilinear upsample output elements",
                     macs={"fvcore": 4, "thop": 11, "ptflops": 2, "onnx-tool": 4})
INPUT = q.declare("upsample_in", "upsample input elements", flops={"calflops-flops": 1})
# F.interpolate, measured the same way (a functional call after a 1x1 conv, from 16x8x8 to
# 16x16x16): no module to hook, so thop charges 0 and ptflops 1 per output element (its patched
# F.interpolate only); fvcore and onnx-tool see the same op as for the module.
NEAREST_F = q.declare("upsample_nearest_functional",
                      "nearest F.interpolate output elements", macs={"fvcore": 1, "ptflops": 1})
BILINEAR_F = q.declare("upsample_bilinear_functional",
                       "bilinear F.interpolate output elements",
                       macs={"fvcore": 4, "ptflops": 1, "onnx-tool": 4})
# calflops charges an upsample to a given size H' x W' once per output pixel (H' W', not per
# channel), module or functional; by a scale, once per input element.
SIZE_PIXELS = q.declare("upsample_size_pixels", "upsample-to-size output pixels (H' W')",
                        flops={"calflops-flops": 1})


@register("upsample", Field("scale", "count", None, "whole factor on height and width"),
          Field("size", "count", None, "output height and width (instead of scale)"),
          Field("size_of", "tensor", None, "a tensor's name: upsample to its height and width"),
          Field("mode", "choice", "nearest", choices=("nearest", "bilinear")),
          Field("align_corners", "bool", False, "bilinear only; does not change the counts"),
          Field("functional", "bool", False, "computed by F.interpolate (torchvision's "
                "segmentation heads and FPN) rather than an nn.Upsample module: hook-based "
                "counters see no module"),
          letters=free_letters, prefix="up")
def upsample(b, f, x, name):
    """Upsample to C x (s H) x (s W), to C x size x size, or to C x H' x W' of the tensor named
    by ``size_of``. No MACs or params; output elements recorded per mode and per call (module
    or functional), and the input elements (by a scale) or output pixels H' W' (to a size)."""
    given = [key for key in ("scale", "size", "size_of") if f.get(key) is not None]
    if len(given) != 1:
        raise SpecError("upsample needs exactly one of 'scale', 'size' and 'size_of'")
    if f["scale"] is not None:
        shape = Shape(x.shape.c, x.shape.h * f["scale"], x.shape.w * f["scale"])
    elif f.get("size_of") is not None:
        shape = Shape(x.shape.c, f["size_of"].shape.h, f["size_of"].shape.w)
    else:
        shape = Shape(x.shape.c, f["size"], f["size"])
    functional = f.get("functional", False)
    if f["mode"] == "nearest":
        key = NEAREST_F if functional else NEAREST
    else:
        key = BILINEAR_F if functional else BILINEAR
    counts = {key: shape.elements}
    if f["scale"] is not None:
        counts[INPUT] = x.shape.elements
    else:
        counts[SIZE_PIXELS] = shape.h * shape.w
    return b.add_node(name, "upsample", (x,), shape, counts, mode=f["mode"],
                      functional=functional, op_class="other", input=x.shape)
