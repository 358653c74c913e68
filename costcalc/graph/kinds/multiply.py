"""The internal ``multiply`` kind: element-wise product of branches (attention gates).

Its build function takes the list of input tensors (``GraphBuilder.call("multiply", [x, g])``);
``parallel`` with ``merge: multiply`` makes one (CBAM, SK-Net, LR-ASPP's gate).
"""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.registry import Shape, register
from costcalc.graph.units import exact


def broadcast(shapes: list[Shape]) -> Shape:
    """The broadcast shape: each of C, H, W equal across inputs or 1 (a C x 1 x 1 gate, a
    1 x H x W spatial mask)."""
    dims = []
    for axis in range(3):
        sizes = {s[axis] for s in shapes}
        big = [d for d in sizes if not (exact(d) and d == 1)]
        if len(big) > 1 and all(exact(d) for d in big):
            texts = " and ".join(s.text() for s in shapes)
            raise SpecError(f"cannot multiply tensors of shapes {texts}: each size must agree "
                            "or be 1")
        dims.append(big[0] if big else 1)
    if any(s.tokens != shapes[0].tokens for s in shapes):
        raise SpecError("cannot multiply tokens with a C x H x W map")
    return type(shapes[0])(*dims)


@register("multiply", internal=True, memory="inplace", tokens="accept")
def multiply(b, f, inputs, name):
    """Element-wise product of n tensors, broadcast over sizes of 1. 0 MACs in the paper
    convention; (n-1) C H W multiplies recorded (the quantity SE scaling records)."""
    shape = broadcast([t.shape for t in inputs])
    return b.add_node(name, "multiply", tuple(inputs), shape,
                      {q.MUL: (len(inputs) - 1) * shape.elements},
                      op_class="other", input=shape)
