"""Windowed attention and the token views around it, as torch exports Swin and MaxViT.

Found before the walk, like ``onnx_patterns`` (whose ``Match`` and graph helpers it uses), each
match one layer of a zoo kind:

- ``attention`` with ``window``: Softmax(Q K^T + relative position bias (+ shift mask)) V over
  groups of M^2 tokens, Q, K and V from one packed projection of the token grid, the output
  projected back. Swin's form (``shifted_window_attention``): the grid zero-padded (Pad),
  rolled (Slice + Concat pairs) and partitioned (Reshape, Transpose, Reshape) before the
  projection, the same undone after it (and the padding cropped), Tensor.matmul for the two
  matmuls. MaxViT's form (``RelativePositionalMultiHeadAttention`` on partitioned tokens
  [1, G, M^2, D]): Slice-split Q, K, V and Einsum matmuls (``modules: true``).
- ``patch_embed``: a P x P stride-P conv whose map is permuted to channels last
  (Transpose(0, 2, 3, 1)), in a model with window attention (Swin's token grid).
- ``patch_merging``: (Pad), the four 2 x 2 neighbours taken by stride-2 Slices, Concat on the
  last axis, LayerNormalization, MatMul 4C -> 2C without bias (Swin's PatchMerging).
- ``to_tokens`` / ``to_map``: a map [1, C, H, W] reshaped and permuted into groups of tokens
  [1, G, n, C] and back (MaxViT's window and grid partitions).

The checks are structural (which ops, which readers, which dims); sizes that a kind derives
(padded tokens, windows) are compared with the file's after building (``Match.sizes``), so a
variant the kinds do not describe is an error naming its node, never a wrong count.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from costcalc.importers.onnx_calls import SHAPE_READERS
from costcalc.importers.onnx_patterns import Match, _bias, _Graph, _is_projection, \
    qkv_projections

GRID_VIEWS = ("Reshape", "Transpose")


@dataclass
class WindowMatch(Match):
    """A match whose built nodes of a role must hold as many values as an ONNX tensor."""

    sizes: dict = field(default_factory=dict)  # role -> ONNX tensor name
    note: str | None = None  # said under the report (once, with the number of matches)


def find(graph, value, attrs, params: set[str], dims: dict, consts: dict) -> dict[int, Match]:
    """Each match keyed by the id of its first node in the graph's order. The token views are
    looked for only in a model with window attention (nothing else is walked twice)."""
    softmaxes = [node for node in graph.node if node.op_type == "Softmax"]
    if not softmaxes:
        return {}
    g = _Graph(graph, value, attrs, params, dims, consts)
    found = [m for m in (_window_attention(g, node) for node in softmaxes) if m is not None]
    if not found:
        return {}
    taken = {id(n) for match in found for n in match.nodes}
    for node in graph.node:
        match = None
        if id(node) in taken:
            continue
        if node.op_type == "Concat":
            match = _patch_merging(g, node)
        elif node.op_type == "Reshape":
            match = _partition(g, node) or _departition(g, node)
        elif node.op_type == "Conv":
            match = _patch_embed(g, node)
        if match is not None:
            found.append(match)
    matches = {}
    for match in found:
        first = min(match.nodes, key=lambda n: g.order[id(n)])
        matches[id(first)] = match
    return matches


def _readers(g: _Graph, name: str) -> list:
    """The readers of ``name`` that use its values (not only its shape)."""
    return [r for r in g.readers.get(name, []) if r is None or r.op_type not in SHAPE_READERS]


def _only(g: _Graph, name: str, ops):
    readers = _readers(g, name)
    if len(readers) == 1 and readers[0] is not None and readers[0].op_type in ops:
        return readers[0]
    return None


def _static(g: _Graph, name: str) -> list | None:
    dims = g.dims.get(name)
    if not dims or not all(isinstance(d, int) and d > 0 for d in dims):
        return None
    return list(dims)


# ---------------------------------------------------------------------------- attention
def _window_attention(g: _Graph, softmax) -> Match | None:
    scores_dims = _static(g, softmax.output[0])
    if scores_dims is None or len(scores_dims) < 3 or \
            g.attrs(softmax).get("axis", -1) not in (-1, len(scores_dims) - 1):
        return None
    region: list = [softmax]
    adds: list = []
    name = softmax.input[0]
    for _ in range(16):  # back to the Q K^T product through the bias, mask and scalings
        node = g.producer.get(name)
        if node is None:
            return None
        live = g.live_inputs(node)
        if node.op_type in ("MatMul", "Einsum") and len(live) == 2:
            scores = node
            break
        if len(live) != 1 or node.op_type not in ("Add", "Reshape", "Mul", "Div"):
            return None
        if node.op_type == "Add":
            adds.append(node)
        elif node.op_type in ("Mul", "Div") and g.value(g.other(node, live[0]) or "") is None:
            return None
        region.append(node)
        name = live[0]
    else:
        return None
    context = _only(g, softmax.output[0], (scores.op_type,))
    if context is None or context.input[0] != softmax.output[0] or \
            len(g.live_inputs(context)) != 2:
        return None
    einsum = scores.op_type == "Einsum"
    if einsum and not (_einsum(g, scores, "qk") and _einsum(g, context, "av")):
        return None
    region += [scores, context]
    keys = scores_dims[-1]
    window = math.isqrt(keys)
    if window * window != keys or scores_dims[-2] != keys:
        return None
    projections = qkv_projections(g, scores, context, region)
    if projections is None:
        return None
    qkv = projections[0]
    x, shift = _back_to_tokens(g, qkv.input[0], region)
    x_dims = _static(g, x) if x else None
    if x_dims is None or len(x_dims) not in (3, 4) or x_dims[0] != 1:
        return None
    d = x_dims[-1]
    out, proj = _forward_to_tokens(g, context.output[0], region, x_dims)
    if out is None:
        return None
    # the structure is a window attention's: what the kind does not describe is an error
    head = (_static(g, scores.input[0]) or [0])[-1]
    heads = d // head if head and not d % head else 0
    table = (2 * window - 1) ** 2
    bias = _bias_table(g, adds, window, heads) if adds and heads else None
    why = "Q, K and V from separate projections" if len(projections) != 1 else \
        f"a projection of weight {g.consts.get(qkv.input[1])} for width {d}" if \
        sorted(g.consts.get(qkv.input[1], [])) != [d, 3 * d] or \
        math.prod(g.consts.get(proj.input[1], [0])) != d * d else \
        f"heads of {head} values that do not divide the width {d}" if not heads else \
        f"no relative position bias table ({table} x {heads} values) added to the scores" if \
        bias is None else \
        "rolled (shifted) windows without a mask added to the scores" if \
        shift and len(adds) < 2 else \
        f"{len(adds)} terms added to the scores (the bias table, and a mask when shifted)" if \
        len(adds) != 1 + (shift > 0) else \
        "values inside it read elsewhere" if not _closed(g, region, out) else None
    if why:
        return WindowMatch("unknown", x, out, region, {"why": f"a window attention with {why}: "
                                                              "not the attention kind's form"})
    qkv_out = _bias(g, qkv)
    qkv_out = qkv_out.output[0] if qkv_out is not None and not isinstance(qkv_out, str) \
        else qkv.output[0]
    fields = {"heads": heads, "window": window, "qkv_bias": _bias(g, qkv) is not None,
              "proj_bias": _bias(g, proj) is not None}
    if shift:
        fields["shift"] = shift
    if einsum:
        fields["modules"] = True
    # a folded bias counts as the table it was gathered from (the architecture's
    # parameters), and the report says the file holds it expanded
    note = None if bias == "table" else \
        "relative position bias folded into constants by the exporter (H M^4 values per " \
        "window attention): counted as the (2M - 1)^2 H table it is gathered from"
    return WindowMatch("attention", x, out, region, fields,
                       sizes={"qkv": qkv_out, "scores": scores.output[0]}, note=note)


EINSUM = re.compile(r"^([\w.]*?)(\w)(\w),([\w.]*?)(\w)(\w)->([\w.]*?)(\w)(\w)$")


def _einsum(g: _Graph, node, which: str) -> bool:
    """An Einsum over batch axes of Q K^T (``...id,...jd->...ij``) or of scores V
    (``...ij,...jd->...id``)."""
    equation = g.attrs(node).get("equation", b"")
    equation = equation.decode() if isinstance(equation, bytes) else equation
    found = EINSUM.match(equation.replace(" ", ""))
    if found is None:
        return False
    a, a1, a2, b, b1, b2, c, c1, c2 = found.groups()
    if not a == b == c:
        return False
    if which == "qk":
        return a2 == b2 and (c1, c2) == (a1, b1) and len({a1, a2, b1}) == 3
    return a2 == b1 and (c1, c2) == (a1, b2) and len({a1, a2, b2}) == 3


def _roll(g: _Graph, concat):
    """Concat(Slice(x), Slice(x)) along a grid axis, each slice read only by it: torch.roll.
    (x, the shift) or None."""
    if concat.op_type != "Concat" or len(concat.input) != 2:
        return None
    slices = [g.producer.get(n) for n in concat.input]
    if any(s is None or s.op_type != "Slice" or _only(g, s.output[0], ("Concat",)) is not concat
           for s in slices) or slices[0].input[0] != slices[1].input[0]:
        return None
    source = slices[0].input[0]
    dims = _static(g, source)
    parts = [_static(g, s.output[0]) for s in slices]
    axis = g.attrs(concat).get("axis")
    if dims is None or None in parts or len(dims) != 4 or axis is None or \
            axis % 4 not in (1, 2) or parts[0][axis] + parts[1][axis] != dims[axis]:
        return None
    return source, slices, min(parts[0][axis], parts[1][axis])


def _back_to_tokens(g: _Graph, name: str, region: list):
    """From the projection's input back through the window partition, the rolls and the
    zero padding to the token tensor they start from: (its name, the shift)."""
    shift = 0
    for _ in range(16):
        node = g.producer.get(name)
        if node is None:
            break
        if node.op_type in GRID_VIEWS and len(g.live_inputs(node)) == 1:
            region.append(node)
            name = g.live_inputs(node)[0]
            continue
        if node.op_type == "Pad" and _zero_pad(g, node):
            region.append(node)
            name = node.input[0]
            continue
        rolled = _roll(g, node)
        if rolled is not None:
            source, slices, amount = rolled
            region += [node, *slices]
            shift = shift or amount
            name = source
            continue
        break
    return name, shift


def _zero_pad(g: _Graph, pad) -> bool:
    mode = g.attrs(pad).get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    fill = g.value(pad.input[2]) if len(pad.input) > 2 and pad.input[2] else [0]
    return mode == "constant" and fill is not None and all(v == 0 for v in fill) and \
        len(g.live_inputs(pad)) == 1


def _forward_to_tokens(g: _Graph, name: str, region: list, x_dims: list) -> tuple:
    """From the context product through views to the output projection (and its bias), then
    through the reverse partition, rolls and crop to a tensor of the input's dims."""
    proj = None
    for _ in range(32):
        readers = _readers(g, name)
        if proj is None:
            node = readers[0] if len(readers) == 1 else None
            if node is not None and _is_projection(g, node) and node.input[0] == name:
                proj = node
                region.append(node)
                name = node.output[0]
                bias = _bias(g, node)
                if bias is not None and not isinstance(bias, str):
                    region.append(bias)
                    name = bias.output[0]
                continue
            if node is None or node.op_type not in GRID_VIEWS or g.live_inputs(node) != [name]:
                return None, None
            region.append(node)
            name = node.output[0]
            continue
        if len(readers) == 1 and readers[0] is not None:
            node = readers[0]
            if (node.op_type in GRID_VIEWS and _static(g, name) != x_dims) or \
                    (node.op_type == "Slice" and g.live_inputs(node) == [name]):
                region.append(node)  # the reverse partition, or the crop of the padding
                name = node.output[0]
                continue
        if len(readers) == 2 and None not in readers and readers[0].op_type == "Slice":
            concat = _only(g, readers[0].output[0], ("Concat",))
            rolled = _roll(g, concat) if concat is not None else None
            if rolled is not None and rolled[0] == name:
                region += [*rolled[1], concat]
                name = concat.output[0]
                continue
        break
    if proj is None or _static(g, name) != x_dims:
        return None, None
    return name, proj


def _bias_table(g: _Graph, adds: list, window: int, heads: int) -> str | None:
    """The first additive term as a relative position bias: "table" when gathered from a
    learned table of (2M - 1)^2 x H values (the attention kind counts those parameters),
    "folded" when the exporter folded the gather into a constant of H M^4 values (torch's
    default constant folding), else None."""
    table = [(2 * window - 1) ** 2, heads]
    add = adds[-1]  # the one nearest the product: the bias (the mask is added after it)
    other = next((n for n in add.input if n not in g.live), None)
    folded = [heads, window ** 2, window ** 2]
    if other in g.consts and list(g.consts[other])[-3:] == folded and \
            math.prod(g.consts[other]) == math.prod(folded):
        return "folded"
    pending, seen = [other] if other else [], 0
    while pending and seen < 32:
        seen += 1
        name = pending.pop()
        if name in g.params and list(g.consts.get(name, [])) == table:
            return "table"
        node = g.producer.get(name)
        if node is not None:
            pending.extend(n for n in node.input if n)
    return None


def _closed(g: _Graph, region: list, out: str) -> bool:
    """Nothing outside the region reads a value inside it (shapes aside)."""
    ids = {id(n) for n in region}
    for node in region:
        for name in node.output:
            if name == out:
                continue
            for reader in _readers(g, name):
                if reader is None or id(reader) not in ids:
                    return False
    return True


# ---------------------------------------------------------------------------- token views
def _patch_embed(g: _Graph, conv) -> Match | None:
    """Conv(P x P, stride P, no padding) -> Transpose(0, 2, 3, 1): Swin's patch embedding."""
    attrs = g.attrs(conv)
    weight = g.consts.get(conv.input[1], [])
    permute = _only(g, conv.output[0], ("Transpose",))
    if len(weight) != 4 or weight[2] != weight[3] or permute is None or \
            g.attrs(permute).get("perm") != [0, 2, 3, 1] or attrs.get("group", 1) != 1 or \
            any(d != 1 for d in attrs.get("dilations", [1, 1])) or \
            any(attrs.get("pads", [0] * 4)) or \
            attrs.get("strides") != [weight[2]] * 2 or \
            attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        return None
    bias = len(conv.input) > 2 and bool(conv.input[2])
    return Match("patch_embed", conv.input[0], permute.output[0], [conv, permute],
                 {"out": weight[0], "patch": weight[2], "bias": bias})


def _patch_merging(g: _Graph, concat) -> Match | None:
    """(Pad), x[..., i::2, j::2, :] for the four (i, j), Concat on the last axis,
    LayerNormalization, MatMul 4C -> 2C: Swin's PatchMerging."""
    dims = _static(g, concat.output[0])
    if dims is None or len(dims) != 4 or len(concat.input) != 4 or \
            g.attrs(concat).get("axis") not in (-1, 3):
        return None
    nodes: list = [concat]
    sources = set()
    for name in concat.input:
        for _ in range(2):  # a Slice per grid axis
            node = g.producer.get(name)
            if node is None or node.op_type != "Slice" or len(g.live_inputs(node)) != 1:
                break
            if node not in nodes:
                nodes.append(node)
            name = node.input[0]
        sources.add(name)
    if len(sources) != 1:
        return None
    x = sources.pop()
    pad = g.producer.get(x)
    if pad is not None and pad.op_type == "Pad" and _zero_pad(g, pad):
        nodes.append(pad)
        x = pad.input[0]
    x_dims = _static(g, x)
    if x_dims is None or len(x_dims) != 4 or dims[-1] != 4 * x_dims[-1] or \
            dims[1:3] != [-(-x_dims[1] // 2), -(-x_dims[2] // 2)] or \
            not _closed(g, nodes, concat.output[0]):
        return None
    # the 2 x 2 neighbours merged: what follows must be the kind's norm and reduction
    norm = _only(g, concat.output[0], ("LayerNormalization",))
    reduction = _only(g, norm.output[0], ("MatMul",)) if norm is not None else None
    c = x_dims[-1]
    why = "no affine LayerNormalization over the merged 4C values" if norm is None or \
        g.attrs(norm).get("axis", -1) not in (-1, 3) or len(norm.input) < 3 or \
        not norm.input[2] else \
        "no MatMul 4C -> 2C after its LayerNormalization" if reduction is None or \
        not _is_projection(g, reduction) or reduction.input[0] != norm.output[0] or \
        sorted(g.consts.get(reduction.input[1], [])) != [2 * c, 4 * c] else \
        "a bias on its reduction" if _bias(g, reduction) is not None else None
    if why:
        return WindowMatch("unknown", x, concat.output[0], nodes,
                           {"why": f"a patch merging with {why}: not the patch_merging "
                                   "kind's form"})
    nodes += [norm, reduction]
    return Match("patch_merging", x, reduction.output[0], nodes)


def _views(g: _Graph, reshape) -> list | None:
    """Reshape -> Transpose -> Reshape, each the only reader of the one before."""
    transpose = _only(g, reshape.output[0], ("Transpose",))
    back = _only(g, transpose.output[0], ("Reshape",)) if transpose is not None else None
    if back is None or len(g.live_inputs(reshape)) != 1:
        return None
    return [reshape, transpose, back]


def _rank6_views(g: _Graph, reshape):
    """A rank-4 tensor through Reshape (to rank 6) -> Transpose -> Reshape (to rank 4): the
    chain, its input, and the static dims of the input, the rank-6 split, the permutation and
    the output; None when the chain or a static dim is missing."""
    chain = _views(g, reshape)
    x = reshape.input[0]
    x_dims = _static(g, x)
    if chain is None or x_dims is None or len(x_dims) != 4:
        return None
    split, perm = _static(g, reshape.output[0]), g.attrs(chain[1]).get("perm")
    out = _static(g, chain[2].output[0])
    if split is None or out is None or perm is None or len(split) != 6 or len(out) != 4:
        return None
    return chain, x, x_dims, split, perm, out


def _partition(g: _Graph, reshape) -> Match | None:
    """A map [1, C, H, W] -> [1, C, a, b, c, d] -> (C last) -> [1, G, n, C] with G n = H W:
    MaxViT's window or grid partition, the map read as groups of tokens (``to_tokens``)."""
    views = _rank6_views(g, reshape)
    if views is None:
        return None
    chain, x, x_dims, split, perm, out = views
    if split[:2] != x_dims[:2] or perm[0] != 0 or perm[-1] != 1 or out[-1] != x_dims[1] or \
            out[1] * out[2] != x_dims[2] * x_dims[3]:
        return None
    return Match("to_tokens", x, chain[2].output[0], chain)


def _departition(g: _Graph, reshape) -> Match | None:
    """Tokens [1, G, n, C] -> [1, a, b, c, d, C] -> (C second) -> [1, C, H, W]: the map back
    (``to_map``)."""
    views = _rank6_views(g, reshape)
    if views is None:
        return None
    chain, x, x_dims, split, perm, out = views
    if split[-1] != x_dims[-1] or perm[:2] != [0, 5] or out[1] != x_dims[-1] or \
            out[2] * out[3] != x_dims[1] * x_dims[2]:
        return None
    return Match("to_map", x, chain[2].output[0], chain)


def token_permute(walk, node, name: str, perm) -> bool:
    """A Transpose of rank-4 tokens in the walk: Transpose(0, 3, 1, 2) of a grid [1, H, W, D]
    is ``to_map`` (Swin's permute back to channels first); one that keeps the batch first and
    the width last only reorders tokens (MaxViT's grid swap), no row. Else False."""
    x = walk.tensors[node.input[0]]
    out = node.output[0]
    if perm == [0, 3, 1, 2]:
        y = walk.builder.call("to_map", x, name)
        walk.check(node, y)
        walk.tensors[out] = y
        return True
    if perm is not None and perm[0] == 0 and perm[-1] == 3:
        walk.tokens.add(out)
        walk.tensors[out] = x
        walk.names.discard(name)
        return True
    return False
