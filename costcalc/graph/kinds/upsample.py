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


@register("upsample", Field("scale", "count", None, "whole factor on height and width"),
          Field("size", "count", None, "output height and width (instead of scale)"),
          Field("mode", "choice", "nearest", choices=("nearest", "bilinear")),
          Field("align_corners", "bool", False, "bilinear only; does not change the counts"),
          letters=free_letters, prefix="up")
def upsample(b, f, x, name):
    """Upsample to C x (s H) x (s W), or to C x size x size. No MACs or params; output elements
    recorded per mode."""
    if (f["scale"] is None) == (f["size"] is None):
        raise SpecError("upsample needs exactly one of 'scale' and 'size'")
    if f["scale"] is not None:
        shape = Shape(x.shape.c, x.shape.h * f["scale"], x.shape.w * f["scale"])
    else:
        shape = Shape(x.shape.c, f["size"], f["size"])
    key = NEAREST if f["mode"] == "nearest" else BILINEAR
    return b.add_node(name, "upsample", (x,), shape,
                      {key: shape.elements, INPUT: x.shape.elements}, mode=f["mode"],
                      op_class="other", input=x.shape)
