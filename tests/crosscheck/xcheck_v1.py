"""A plain PyTorch MobileNet v1 as configs/mobilenet_v1.yaml describes it (ReLU modules everywhere)."""
from __future__ import annotations

from torch import nn

# (output channels before alpha, stride) of the 13 depthwise separable layers (TF-slim _CONV_DEFS).
SEPARABLE = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
    [(1024, 2), (1024, 1)]


def depth(channels: int, alpha: float) -> int:
    return max(int(channels * alpha), 8)


def conv_bn_relu(cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> list:
    return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class MobileNetV1(nn.Module):
    """Conv 3x3/2, 13 depthwise separable layers, global average pool module, linear classifier."""

    def __init__(self, alpha: float = 1.0, classes: int = 1000):
        super().__init__()
        c = depth(32, alpha)
        layers = conv_bn_relu(3, c, 3, 2)
        for out, stride in SEPARABLE:
            out = depth(out, alpha)
            layers += conv_bn_relu(c, c, 3, stride, groups=c) + conv_bn_relu(c, out, 1, 1)
            c = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.features(x))))
