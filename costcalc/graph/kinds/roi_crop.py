"""The ``roi_crop`` kind: a two-stage detector's proposal crops, N of them side by side."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import free_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
SAMPLES = q.ROI_SAMPLES


@register("roi_crop", Field("size", "count", doc="crop side S"),
          Field("proposals", "count", doc="number of proposals N"),
          letters=free_letters, prefix="crop")
def roi_crop(b, f, x, name):
    """Crop and resize N proposal boxes of the C x H x W map to S x S each, laid side by side
    along the width: output C x S x (S N). No MACs, no params; records C S^2 N samples.

    The second stage then runs on the side-by-side crops: a conv, pool or linear layer after it
    costs N times what it costs on one S x S crop, and its weights are counted once, provided
    every stride after it divides S (then each crop maps to its own output columns).
    """
    shape = Shape(x.shape.c, f["size"], f["size"] * f["proposals"])
    return b.add_node(name, "roi_crop", (x,), shape, {SAMPLES: shape.elements},
                      op_class="other", input=x.shape, proposals=f["proposals"])
