"""The ``attention`` kind: multi-head self-attention over tokens (ViT's nn.MultiheadAttention).

Its nodes, in a block scope named after the entry: ``.qkv`` (the input projection to 3 D),
``.scores`` (Q K^T per head), ``.softmax``, ``.context`` (the scores times V) and ``.proj``
(the output projection), so memory and the per-layer rows see the H N^2 score tensor.
"""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.units import exact, free_letters

# Measured on nn.MultiheadAttention(D, H, batch_first=True) called as torchvision's ViT calls it
# (``need_weights=False``: F.multi_head_attention_forward, F.linear projections and
# F.scaled_dot_product_attention), N = 10, D = 64, H = 4, and on torchvision's vit_b_16:
# - the projections (3 N D^2 + N D^2): every tool but thop and torchinfo, which see modules
#   and find no called leaf inside (0 for the whole attention);
# - the two matmuls (2 N^2 D): FlopCounterMode on the math backend (torchvision's ``_ops``;
#   the CPU flash kernel, the default, is not counted), ptflops' MultiheadAttention hook and
#   onnx-tool's MatMul; fvcore, ptflops-aten and calflops skip scaled_dot_product_attention;
# - biases: ptflops-aten charges each projection's bias per output; ptflops' hook charges the
#   input bias (3 N D), N D for scaling Q and N D for an output bias it always assumes, and
#   H N^2 for the softmax;
# - onnx-tool on the export: the projections and both MatMuls with their biases, Softmax 36 per
#   score (as the softmax kind), the Mul scaling Q and one more N D elementwise op.
PROJ = q.declare("attention_proj_macs", "attention projection multiply-adds (inside "
                 "nn.MultiheadAttention)",
                 macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim", "fvcore",
                                            "ptflops-aten", "ptflops", "flopcounter", "calflops",
                                            "calflops-flops", "onnx-tool")},
                 multiply_add=True)
MATMUL = q.declare("attention_matmul_macs", "attention matmul multiply-adds (Q K^T and "
                   "scores V, in scaled_dot_product_attention)",
                   macs={name: 1 for name in ("paper", "torchvision", "keras", "tf-slim",
                                              "ptflops", "flopcounter", "onnx-tool")},
                   multiply_add=True)
QKV_BIAS = q.declare("attention_qkv_bias", "attention input projection outputs with a bias",
                     macs={"ptflops-aten": 1, "ptflops": 1, "onnx-tool": 1})
OUT_BIAS = q.declare("attention_out_bias", "attention output projection outputs with a bias",
                     macs={"ptflops-aten": 1, "onnx-tool": 1})
TOKEN_VALUES = q.declare("attention_token_values", "attention token values: Q scaled, output "
                         "projected (N D each)", macs={"ptflops": 1, "onnx-tool": 1})
SCORES = q.declare("attention_scores", "attention scores through the softmax (H N^2)",
                   macs={"ptflops": 1, "onnx-tool": 36})


def _letters(node, resolve):
    """The formula table's template of each part: projections N M N' (+ N' bias), the two
    matmuls N^2 M (M = D, summed over the heads), the softmax free."""
    role, source = node.role, node.info["input"]
    if role in ("qkv", "proj"):
        cin, cout = resolve(source.c), resolve(node.shape.c)
        weights = [("channels", "M", cin), ("channels", "N", cout)]
        rows = ("number", resolve(source.h * source.w))
        params = [weights] + ([[("channels", "N", cout)]] if node.info.get("bias") else [])
        return [[rows] + weights], params
    if role in ("scores", "context"):
        n, d = resolve(node.info["tokens"]), resolve(node.info["width"])
        return [[("number", n * n), ("channels", "M", d)]], [[("number", 0)]]
    return free_letters(node, resolve)


@register("attention", Field("heads", "count", doc="H, dividing the token width D"),
          Field("qkv_bias", "bool", True, "bias on the Q, K, V projection"),
          Field("proj_bias", "bool", True, "bias on the output projection"),
          tokens="accept", letters=_letters, prefix="attn", composite=True)
def attention(b, f, x, name):
    """Multi-head self-attention over N tokens of width D with H heads of D / H:

    qkv = x W_qkv (N x 3D); per head softmax(Q K^T / sqrt(D/H)) V; output x' W_o.
    MACs = 3 N D^2 + N^2 D + N^2 D + N D^2 = 4 N D^2 + 2 N^2 D (the quadratic term in N);
    params = 4 D^2 (+ 3 D qkv bias) (+ D output bias).
    """
    if not x.shape.tokens:
        raise SpecError(f"attention takes tokens, not a C x H x W map (got {x.shape.text()}); "
                        "add to_tokens or patch_embed first")
    d, heads = x.shape.c, f["heads"]
    if exact(d, heads) and d % heads:
        raise SpecError(f"heads={heads} must divide the token width {d}")
    n = x.shape.h * x.shape.w
    nd = n * d
    with b.block(name, "attention"):
        counts = {PROJ: 3 * nd * d, q.WEIGHTS: 3 * d * d, TOKEN_VALUES: nd}
        if f["qkv_bias"]:
            counts.update({QKV_BIAS: 3 * nd, q.BIASES: 3 * d})
        qkv = b.add_node(f"{name}.qkv", "attention", (x,), x.shape._replace(c=3 * d), counts,
                         role="qkv", in_channels=d, heads=heads, bias=f["qkv_bias"],
                         op_class="linear", input=x.shape)
        scores_shape = Shape(heads, n, n)
        scores = b.add_node(f"{name}.scores", "attention", (qkv,), scores_shape,
                            {MATMUL: n * n * d}, role="scores", heads=heads, tokens=n,
                            width=d, op_class="matmul", input=qkv.shape)
        weights = b.add_node(f"{name}.softmax", "attention", (scores,), scores_shape,
                             {SCORES: heads * n * n}, role="softmax", op_class="other",
                             input=scores_shape)
        context = b.add_node(f"{name}.context", "attention", (weights, qkv), x.shape,
                             {MATMUL: n * n * d}, role="context", heads=heads, tokens=n,
                             width=d, op_class="matmul", input=scores_shape)
        counts = {PROJ: nd * d, q.WEIGHTS: d * d, TOKEN_VALUES: nd}
        if f["proj_bias"]:
            counts.update({OUT_BIAS: nd, q.BIASES: d})
        return b.add_node(f"{name}.proj", "attention", (context,), x.shape, counts,
                          role="proj", in_channels=d, bias=f["proj_bias"], op_class="linear",
                          input=context.shape)

