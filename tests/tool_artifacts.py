"""What a real tool reports beyond the architecture: exporter artifacts costcalc does not model."""
from __future__ import annotations

# torch.onnx exports each `x.chunk(2, dim=1)` (torchvision ShuffleNet v2's channel split) with
# arithmetic on the shape scalars, Add, Div and Mul, that onnx-tool charges 1 + 4 + 2 MACs
# (measured per op type on shufflenet_v2_x0_5: Add 13, Div 52, Mul 26 for its 13 splits). That is
# an artifact of the exporter, not of the architecture: costcalc does not model it.
ONNX_CHUNK_SCALAR_MACS = 7
# The export of nn.MultiheadAttention computes the head split and the scale 1/sqrt(D/H) with
# arithmetic on shape scalars that onnx-tool charges 78 MACs, whatever N, D and H (measured on
# nn.MultiheadAttention(64, 4) at N = 10, with and without bias, and (64, 8) at N = 7).
ONNX_MHA_SCALAR_MACS = 78
# torchvision's VisionTransformer._process_input checks the input size and computes n_h * n_w
# on shape scalars: an Equal and a Mul that onnx-tool charges 3 each (measured per node on a
# one-layer VisionTransformer). Counted once per class token, which only that model puts in.
ONNX_VIT_INPUT_SCALAR_MACS = 6
# torchvision's shifted_window_attention (Swin) and PatchMerging: 1 MAC of shape arithmetic each,
# and 72 more where the window is shifted (the mask's slice bounds); measured on
# ShiftedWindowAttention(32 or 64, 7 or 8, shift, 2 or 4 heads) at 7 to 21 tokens a side and
# PatchMerging(32) at 7 x 7 and 8 x 8.
ONNX_WINDOW_SCALAR_MACS = 1
ONNX_SHIFT_SCALAR_MACS = 72
ONNX_MERGING_SCALAR_MACS = 1


# fvcore and calflops count a torch.einsum (MaxViT's attention matmuls) by reading numpy's
# einsum_path report, whose FLOP count (2 per multiply-add) is printed with 4 significant digits:
# fvcore takes half of it, calflops' FLOPs all of it, each rounded down. A tool's rounding, not
# the architecture: costcalc counts the exact multiply-adds (maxvit_t at 224: fvcore 1072 more).
def einsum_rounded(macs: int) -> int:
    """FLOPs (2 per multiply-add) as numpy's einsum_path prints them (``%.3e``), rounded down."""
    from fractions import Fraction

    mantissa, exponent = f"{2 * macs:.3e}".split("e")
    return int(Fraction(mantissa) * 10 ** int(exponent))


def export_residual(profile: str, report) -> int:
    """Tool total minus costcalc's for ``report``'s model: under onnx-tool 7 per chunk call (one
    call per split input, however many parts, and one in each of MaxViT's attentions), 78 per
    attention and 6 per ViT input (class token), 1 per window attention (73 shifted) and patch
    merging; under fvcore and calflops' FLOPs the rounding of each torch.einsum; else 0."""
    einsums = [n.info["rows"] * n.info["keys"] * n.info["width"] for n in report.graph.nodes
               if n.kind == "attention" and n.role in ("scores", "context")
               and n.info.get("einsum")]
    if profile == "fvcore":
        return sum(einsum_rounded(m) // 2 - m for m in einsums)
    if profile == "calflops-flops":
        return sum(einsum_rounded(m) - 2 * m for m in einsums)
    if profile != "onnx-tool":
        return 0
    nodes = report.graph.nodes
    chunks = {n.inputs for n in nodes if n.kind == "channel_split"}
    scores = [n for n in nodes if n.kind == "attention" and n.role == "scores"]
    windowed = [n for n in scores if n.info["windowed"]]
    vits = sum(1 for n in nodes if n.kind == "class_token")
    merges = sum(1 for n in nodes if n.kind == "patch_merging")
    # MaxViT's attention splits Q, K and V with torch.chunk: the same arithmetic as a chunk
    chunked = sum(1 for n in windowed if n.info.get("einsum"))
    return (ONNX_CHUNK_SCALAR_MACS * (len(chunks) + chunked) + ONNX_VIT_INPUT_SCALAR_MACS * vits
            + ONNX_MHA_SCALAR_MACS * (len(scores) - len(windowed))
            + ONNX_WINDOW_SCALAR_MACS * len(windowed)
            + ONNX_SHIFT_SCALAR_MACS * sum(1 for n in windowed if n.info["shifted"])
            + ONNX_MERGING_SCALAR_MACS * merges)
