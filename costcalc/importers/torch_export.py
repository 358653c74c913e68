"""A PyTorch module written to an ONNX file (torch is optional and imported only here)."""
from __future__ import annotations

from typing import Any, Sequence

from costcalc.errors import UsageError

OPSET = 17
INSTALL = "from_torch needs torch and onnx: pip install 'costcalc[torch]'"


def export(module: Any, input_shape: Sequence[int], path: str) -> None:
    """Export ``module`` in eval mode on a zero input of ``input_shape`` (batch first) to ``path``.

    The TorchScript exporter is used because it names nodes after the module hierarchy
    (``/features/features.3/conv/...``), which the importer turns into the report's blocks.
    BatchNorm stays unfolded (``do_constant_folding=False`` keeps it a node of its own), and
    attention is exported as its primitive ops (the fused fast path switched off meanwhile).
    """
    try:
        import torch
    except ImportError:
        raise UsageError(INSTALL) from None
    shape = tuple(int(d) for d in input_shape)
    if not shape or shape[0] != 1:
        raise UsageError(f"input_shape is batch first with batch 1, e.g. (1, 3, 224, 224); got "
                         f"{tuple(input_shape)!r}")
    was_training = module.training
    module.eval()
    # nn.MultiheadAttention's fused inference path has no ONNX form; the exporter needs the
    # path of its primitive ops (projections, matmuls, softmax)
    mha = getattr(torch.backends, "mha", None)
    fastpath = mha.get_fastpath_enabled() if mha is not None else None
    if mha is not None:
        mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad():
            options = dict(opset_version=OPSET, do_constant_folding=False,
                           training=torch.onnx.TrainingMode.PRESERVE)
            try:
                torch.onnx.export(module, (torch.zeros(shape),), path, dynamo=False, **options)
            except TypeError:  # torch before the dynamo exporter had no ``dynamo`` argument
                torch.onnx.export(module, (torch.zeros(shape),), path, **options)
    finally:
        module.train(was_training)
        if mha is not None:
            mha.set_fastpath_enabled(fastpath)
