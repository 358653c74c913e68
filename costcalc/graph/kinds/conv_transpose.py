"""The ``conv_transpose`` kind: a transposed (fractionally strided) K x K convolution."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import ACT, BN, act_counts, bn_counts, divide, exact, merge

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
MACS = q.CONV_TRANSPOSE_MACS
OUT_MACS = q.CONV_TRANSPOSE_OUT_MACS
BIAS = q.CONV_TRANSPOSE_BIAS


def _letters(node, resolve):
    """MACs = H_in W_in M (N/g) D_K^2 (the input's side); params = M (N/g) D_K^2 (+ N)."""
    cin, cout = resolve(node.info["in_channels"]), resolve(node.shape.c)
    groups = resolve(node.info["groups"])
    n = ("channels", "N", cout) if groups == 1 else ("grouped", "N", cout, groups)
    weights = [("channels", "M", cin), n, ("kernel", node.info["kernel"])]
    source = node.info["input"]
    macs = [[("spatial", resolve(source.h), resolve(source.w))] + weights]
    return macs, [weights] + ([[("channels", "N", cout)]] if node.info.get("bias") else [])


def transposed_size(size, kernel, stride, padding, output_padding, dilation):
    """H_out = (H - 1) s - 2p + d (k - 1) + output_padding + 1 (PyTorch's ConvTranspose2d)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


@register("conv_transpose", Field("out", "count", doc="output channels"),
          Field("kernel", "count", doc="K"), Field("stride", "count", 1),
          Field("padding", "count", 0, "pixels removed on each side", minimum=0),
          Field("output_padding", "count", 0, "pixels added on one side, below the stride or "
                "dilation", minimum=0),
          Field("dilation", "count", 1), Field("groups", "count", 1),
          Field("bias", "bool", False), BN, ACT, letters=_letters, prefix="up")
def conv_transpose(b, f, x, name):
    """Transposed convolution: H_out = (H - 1) s - 2p + d (K - 1) + output_padding + 1.

    MACs = C_in H_in W_in (C_out/g) K^2 (each input pixel times its kernel); params =
    K^2 (C_in/g) C_out (+ C_out bias) (+ BN).
    """
    cin, out, groups, kernel = x.shape.c, f["out"], f["groups"], f["kernel"]
    if exact(cin, out, groups) and (cin % groups or out % groups):
        raise SpecError(f"groups={groups} must divide input channels {cin} and output "
                        f"channels {out}")
    if exact(f["output_padding"], f["stride"], f["dilation"]) and \
            f["output_padding"] >= max(f["stride"], f["dilation"]):
        raise SpecError(f"output_padding {f['output_padding']} must be smaller than the stride "
                        f"or the dilation")
    sides = [transposed_size(side, kernel, f["stride"], f["padding"], f["output_padding"],
                             f["dilation"]) for side in (x.shape.h, x.shape.w)]
    shape = Shape(out, *sides)
    per_pixel = divide(out, groups) * kernel * kernel
    counts = {MACS: x.shape.elements * per_pixel,
              OUT_MACS: shape.elements * divide(cin, groups) * kernel * kernel,
              q.WEIGHTS: cin * per_pixel}
    if f["bias"]:
        counts.update({BIAS: shape.elements, q.BIASES: out})
    if f["bn"]:
        counts = merge(counts, bn_counts(out, shape.elements))
    counts = merge(counts, act_counts(f["act"], shape.elements))
    return b.add_node(name, "conv_transpose", (x,), shape, counts, kernel=kernel,
                      stride=f["stride"], padding=f["padding"],
                      output_padding=f["output_padding"], dilation=f["dilation"], groups=groups, in_channels=cin, bias=f["bias"],
                      bn=f["bn"], act=f["act"], op_class="conv", input=x.shape)
