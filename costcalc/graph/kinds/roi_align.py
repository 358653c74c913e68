"""The ``roi_align`` kind: features of R regions of interest, pooled to S x S each (a detector's
second stage reads them)."""
from __future__ import annotations

from costcalc.graph.registry import Field, Shape, register
from costcalc.graph import quantities as q
from costcalc.graph.units import free_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
OUT = q.ROI_ALIGN_OUT


@register("roi_align",
          Field("proposals", "count", doc="regions of interest R (the detector's proposals)"),
          Field("size", "count", 7, "output side S of each region"),
          Field("sampling_ratio", "count", 2, "samples per bin side; does not change the "
                "counts"),
          letters=free_letters, prefix="roi")
def roi_align(b, f, x, name):
    """RoI Align of R regions of a C x H x W map, each to C x S x S, flattened: the output is
    (C S^2) x R x 1, one row of C S^2 features per region, which a ``linear`` with
    ``per_position`` reads as R rows (Faster R-CNN's box head). No MACs or params; R C S^2
    output elements recorded (no counting tool charges them)."""
    side = f["size"]
    shape = Shape(x.shape.c * side * side, f["proposals"], 1)
    return b.add_node(name, "roi_align", (x,), shape, {OUT: shape.elements}, op_class="other",
                      input=x.shape, proposals=f["proposals"], size=side)
