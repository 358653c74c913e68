"""torchvision's MobileNet v3 rebuilt as TF-slim's minimalistic variant (no SE, ReLU, 3x3 kernels)."""
from __future__ import annotations

import copy

from torch import nn
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf


def mobilenet_v3_minimalistic(arch: str, width_mult: float = 1.0) -> MobileNetV3:
    """torchvision's blocks and widths for ``arch`` ("large" or "small") with every block's
    kernel 3, SE off and ReLU, and the Hardswish modules of the stem, last conv and head
    replaced by ReLU, as configs/mobilenet_v3_*_minimalistic.yaml describe them."""
    settings, last_channel = _mobilenet_v3_conf(f"mobilenet_v3_{arch}", width_mult=width_mult)
    plain = []
    for block in settings:
        block = copy.copy(block)
        block.kernel, block.use_se, block.use_hs = 3, False, False
        plain.append(block)
    net = MobileNetV3(plain, last_channel)
    for parent in net.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.Hardswish):
                setattr(parent, name, nn.ReLU(inplace=True))
    return net
