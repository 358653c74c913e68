"""What a real tool reports beyond the architecture: exporter artifacts costcalc does not model."""
from __future__ import annotations

# torch.onnx exports each `x.chunk(2, dim=1)` (torchvision ShuffleNet v2's channel split) with
# arithmetic on the shape scalars, Add, Div and Mul, that onnx-tool charges 1 + 4 + 2 MACs
# (measured per op type on shufflenet_v2_x0_5: Add 13, Div 52, Mul 26 for its 13 splits). That is
# an artifact of the exporter, not of the architecture: costcalc does not model it.
ONNX_CHUNK_SCALAR_MACS = 7


def export_residual(profile: str, report) -> int:
    """Tool total minus costcalc's for ``report``'s model: 7 per chunk call under onnx-tool (one
    call per split input, however many parts), else 0."""
    if profile != "onnx-tool":
        return 0
    chunks = {n.inputs for n in report.graph.nodes if n.kind == "channel_split"}
    return ONNX_CHUNK_SCALAR_MACS * len(chunks)
