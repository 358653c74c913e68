"""The ``attention`` kind: multi-head self-attention over tokens, global (ViT's
nn.MultiheadAttention) or within windows, shifted or not (Swin's shifted_window_attention).

Its nodes, in a block scope named after the entry: ``.qkv`` (the input projection to 3 D),
``.scores`` (Q K^T per head and window), ``.softmax``, ``.context`` (the scores times V) and
``.proj`` (the output projection), so memory and the per-layer rows see the score tensor.
"""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.registry import Field, Shape, register
from costcalc.graph.kinds import linear as lin
from costcalc.graph.kinds import matmul as mm
from costcalc.graph.units import divide, exact, free_letters, out_size

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
PROJ = q.ATTENTION_PROJ_MACS
MATMUL = q.ATTENTION_MATMUL_MACS
QKV_BIAS = q.ATTENTION_QKV_BIAS
OUT_BIAS = q.ATTENTION_OUT_BIAS
TOKEN_VALUES = q.ATTENTION_TOKEN_VALUES
SCORES = q.ATTENTION_SCORES
WINDOW_PROJ = q.WINDOW_ATTENTION_PROJ_MACS
WINDOW_BIAS = q.WINDOW_ATTENTION_BIAS
WINDOW_SCORES = q.WINDOW_ATTENTION_SCORES
MASK = q.ATTENTION_MASK_VALUES
MASK_GRID = q.ATTENTION_MASK_GRID
EINSUM = q.ATTENTION_EINSUM_MACS
TABLE = q.RELATIVE_POSITION_BIAS


class _Form:
    """The quantity keys of one implementation (what the tools see of it)."""

    def __init__(self, proj, qkv_bias, out_bias, token_values, softmax, matmul, module_params=None):
        self.proj, self.qkv_bias, self.out_bias = proj, qkv_bias, out_bias
        self.token_values, self.softmax, self.matmul = token_values, softmax, matmul
        self.module_params = module_params  # nn.Linear parameters, counted once per call


GLOBAL = _Form(PROJ, QKV_BIAS, OUT_BIAS, TOKEN_VALUES, SCORES, (MATMUL,))
WINDOWED = _Form(WINDOW_PROJ, WINDOW_BIAS, WINDOW_BIAS, None, WINDOW_SCORES,
                 (mm.MACS, mm.CALLED))
MODULES = _Form(lin.ROW_MACS, lin.ROW_BIAS, lin.ROW_BIAS, None, WINDOW_SCORES, (EINSUM,),
                lin.ROW_PARAMS)


def _letters(node, resolve):
    """The formula table's template of each part: projections N M N' (+ N' bias) over the N
    (padded) tokens, the two matmuls N K M (K tokens attended per token, M = D summed over
    the heads), the softmax free."""
    role, info = node.role, node.info
    if role in ("qkv", "proj"):
        cin, cout = resolve(info["in_channels"]), resolve(info["out_channels"])
        weights = [("channels", "M", cin), ("channels", "N", cout)]
        params = [weights] + ([[("channels", "N", cout)]] if info.get("bias") else [])
        return [[("number", resolve(info["rows"]))] + weights], params
    if role in ("scores", "context"):
        rows, keys, d = (resolve(info[k]) for k in ("rows", "keys", "width"))
        table = resolve(node.counts.get(TABLE, 0))
        return [[("number", rows * keys), ("channels", "M", d)]], [[("number", table)]]
    return free_letters(node, resolve)


def _padded(side, window):
    """A grid side zero-padded to a multiple of the window: ceil(side / M) M."""
    return out_size(side, window, window, "same") * window


@register("attention", Field("heads", "count", doc="H, dividing the token width D"),
          Field("qkv_bias", "bool", True, "bias on the Q, K, V projection"),
          Field("proj_bias", "bool", True, "bias on the output projection"),
          Field("window", "count", None, "M: attention within M x M windows of the token grid "
                "(Swin), with a relative position bias table; none: over all tokens"),
          Field("shift", "count", 0, "windows shifted by this many tokens (Swin's odd blocks)",
                minimum=0),
          Field("modules", "bool", False, "with a window: the projections are nn.Linear "
                "modules and the matmuls torch.einsum (MaxViT); false: F.linear and "
                "Tensor.matmul (Swin). Same MACs; the tools see them differently"),
          tokens="accept", letters=_letters, prefix="attn", composite=True)
def attention(b, f, x, name):
    """Multi-head self-attention over N tokens of width D with H heads of D / H:

    qkv = x W_qkv (N x 3D); per head softmax(Q K^T / sqrt(D/H)) V; output x' W_o.
    MACs = 3 N D^2 + N^2 D + N^2 D + N D^2 = 4 N D^2 + 2 N^2 D (the quadratic term in N);
    params = 4 D^2 (+ 3 D qkv bias) (+ D output bias).

    With ``window`` M (Swin): the H x W grid is zero-padded to H' x W' (multiples of M), N' =
    H' W' tokens, each attending to the M^2 of its window: MACs = 4 N' D^2 + 2 N' M^2 D; params
    + (2M - 1)^2 H (the relative position bias table). A shift moves the windows (a cyclic roll
    and a mask added to the scores): no multiply-adds; torchvision drops it when a window covers
    the padded grid. ``modules`` (MaxViT's block and grid attention, both groups of M^2 tokens):
    the same counts, recorded as nn.Linear and torch.einsum calls for the tools; the grid must
    be a multiple of M (MaxViT never pads: torchvision refuses other input sizes).
    """
    if not x.shape.tokens:
        raise SpecError(f"attention takes tokens, not a C x H x W map (got {x.shape.text()}); "
                        "add to_tokens or patch_embed first")
    d, heads, window = x.shape.c, f["heads"], f["window"]
    if exact(d, heads) and d % heads:
        raise SpecError(f"heads={heads} must divide the token width {d}")
    if window is None:
        if f["shift"]:
            raise SpecError("attention shift needs a window")
        if f["modules"]:
            raise SpecError("attention modules needs a window (MaxViT's block and grid "
                            "attention); without one the form is nn.MultiheadAttention's")
        return _attend(b, f, x, name, GLOBAL, x.shape, 1, x.shape.h * x.shape.w, 0, False)
    if exact(f["shift"], window) and f["shift"] >= window:
        raise SpecError(f"attention shift {f['shift']} must be smaller than the window {window}")
    if f["modules"] and exact(x.shape.h, x.shape.w, window) and \
            (x.shape.h % window or x.shape.w % window):
        # torchvision's MaxVit refuses such input sizes (its partitions never pad): counting a
        # padded grid would be a number for a network it does not build
        raise SpecError(f"MaxViT's block and grid partitions need the token grid "
                        f"{x.shape.h}x{x.shape.w} to be a multiple of the window {window} (no "
                        "padding; torchvision's MaxVit refuses this input size): choose an "
                        f"input whose stage grids are multiples of {window}")
    padded = x.shape._replace(h=_padded(x.shape.h, window), w=_padded(x.shape.w, window))
    # torchvision sets a side's shift to 0 when the window covers that padded side; on symbolic
    # sizes (formulas) the windows are taken to be smaller than the grid
    shifted = f["shift"] > 0 and not (exact(padded.h, padded.w) and
                                      window >= padded.h and window >= padded.w)
    windows = divide(padded.h, window) * divide(padded.w, window)
    return _attend(b, f, x, name, MODULES if f["modules"] else WINDOWED, padded, windows,
                   window * window,
                   heads * (2 * window - 1) ** 2, shifted)


def _attend(b, f, x, name, form, padded, windows, keys, table, shifted):
    """The five nodes of one attention over the ``padded`` tokens in ``windows`` groups, each
    token attending to ``keys`` tokens (all N, or the M^2 of its window); ``table`` relative
    position bias values."""
    d, heads = x.shape.c, f["heads"]
    rows = padded.h * padded.w
    nd = rows * d
    scores = rows * keys * heads  # H scores per token and key
    with b.block(name, "attention"):
        counts = {form.proj: 3 * nd * d, q.WEIGHTS: 3 * d * d}
        if form.token_values:
            counts[form.token_values] = nd
        if f["qkv_bias"]:
            counts.update({form.qkv_bias: 3 * nd, q.BIASES: 3 * d})
        if form.module_params:
            counts[form.module_params] = 3 * d * d + (3 * d if f["qkv_bias"] else 0)
        qkv = b.add_node(f"{name}.qkv", "attention", (x,), padded._replace(c=3 * d), counts,
                         role="qkv", in_channels=d, out_channels=3 * d, rows=rows, heads=heads,
                         bias=f["qkv_bias"], op_class="linear", input=x.shape)
        counts = {key: rows * keys * d for key in form.matmul}
        if form is not GLOBAL:  # q (k) * scale, + the bias table (and the mask), elementwise
            counts.update({q.MUL: nd, q.ADD: scores * (2 if shifted else 1), TABLE: table})
            if shifted:
                counts.update({MASK: rows * keys, MASK_GRID: rows})
        score_shape = Shape(heads * windows, keys, keys)
        info = {"rows": rows, "keys": keys, "width": d, "heads": heads,
                "einsum": form is MODULES}
        made = b.add_node(f"{name}.scores", "attention", (qkv,), score_shape, counts,
                          role="scores", shifted=shifted, windowed=form is not GLOBAL,
                          op_class="matmul", input=qkv.shape, **info)
        made = b.add_node(f"{name}.softmax", "attention", (made,), score_shape,
                          {form.softmax: scores}, role="softmax", op_class="other",
                          input=score_shape)
        context = b.add_node(f"{name}.context", "attention", (made, qkv), padded,
                             {key: rows * keys * d for key in form.matmul}, role="context",
                             op_class="matmul", input=score_shape, **info)
        counts = {form.proj: nd * d, q.WEIGHTS: d * d}
        if form.token_values:
            counts[form.token_values] = nd
        if f["proj_bias"]:
            counts.update({form.out_bias: nd, q.BIASES: d})
        if form.module_params:
            counts[form.module_params] = d * d + (d if f["proj_bias"] else 0)
        return b.add_node(f"{name}.proj", "attention", (context,), x.shape, counts,
                          role="proj", in_channels=d, out_channels=d, rows=rows,
                          bias=f["proj_bias"], op_class="linear", input=padded)
