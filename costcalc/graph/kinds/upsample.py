"""The ``upsample`` kind: nearest or bilinear resampling by a whole scale or to a size."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters
from costcalc.graph.registry import Field, Shape, register

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
NEAREST = q.UPSAMPLE_NEAREST
BILINEAR = q.UPSAMPLE_BILINEAR
INPUT = q.UPSAMPLE_IN
NEAREST_F = q.UPSAMPLE_NEAREST_FUNCTIONAL
BILINEAR_F = q.UPSAMPLE_BILINEAR_FUNCTIONAL
SIZE_PIXELS = q.UPSAMPLE_SIZE_PIXELS


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
