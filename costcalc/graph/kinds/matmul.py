"""The internal ``matmul`` kind: a matrix product of two activations (no weights).

Its build function takes the two input tensors (``GraphBuilder.call("matmul", [a, b], name)``);
``parallel`` with ``merge: matmul`` makes one from a spec, the ONNX importer from a MatMul of
two activations. A C x H x W map is a batch of C matrices H x W; tokens are one N x D matrix.
"""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, register
from costcalc.graph.units import exact

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
MACS = q.MATMUL_MACS
CALLED = q.MATMUL_FUNCTION_MACS


def matrices(shape):
    """(batch, rows, columns) of a tensor read as matrices: a map C x H x W is C matrices
    H x W; N = h w tokens of width D are one N x D matrix."""
    if shape.tokens:
        return 1, shape.h * shape.w, shape.c
    return shape.c, shape.h, shape.w


@register("matmul", Field("operator", "bool", False, "written a @ b, which ptflops and "
                          "calflops do not see (torch.matmul: false)"),
          internal=True, tokens="accept")
def matmul(b, f, inputs, name):
    """A @ B: (batch, n x k) times (batch, k x m) -> (batch, n x m), a batch of 1 broadcast.

    MACs = batch n k m; no params. The output takes A's form: a map batch x n x m, or n tokens
    of width m (A's grid kept).
    """
    if len(inputs) != 2:
        raise SpecError(f"matmul takes two inputs, got {len(inputs)}")
    a, c = inputs[0].shape, inputs[1].shape
    (ba, n, k), (bb, k2, m) = matrices(a), matrices(c)
    if exact(k, k2) and k != k2:
        raise SpecError(f"cannot multiply {a.text()} by {c.text()}: inner sizes {k} and {k2} "
                        "differ")
    if exact(ba, bb) and ba != bb and 1 not in (ba, bb):
        raise SpecError(f"cannot multiply {a.text()} by {c.text()}: batches {ba} and {bb} "
                        "differ and neither is 1")
    batch = bb if exact(ba) and ba == 1 else ba
    shape = a._replace(c=m) if a.tokens else a._replace(c=batch, h=n, w=m)
    macs = batch * n * k * m
    counts = {MACS: macs} if f["operator"] else {MACS: macs, CALLED: macs}
    return b.add_node(name, "matmul", tuple(inputs), shape, counts, operator=f["operator"],
                      op_class="matmul", input=a)
