"""MobileNet v1 (Howard et al., 2017, arXiv:1704.04861).

The body is the paper's Table 1 written as data (``TABLE_1``); ``MobileNetV1`` walks it. Three knobs
reproduce the paper's variants:

* ``alpha``, the width multiplier: every layer's output channels become
  ``make_divisible(alpha * channels, channel_divisor)``, never below ``min_channels``. For the
  paper's α ∈ {1, 0.75, 0.5, 0.25} every product is already a multiple of 8, so the rounding changes
  nothing there and the paper's figures are reproduced exactly; it only matters for continuous α.
* ``depth``, how many of the five repeated 14×14×512 separable layers are kept: 5 is the paper's
  network, 0 its "shallow MobileNet" (Table 5).
* ``block``: ``separable`` (depthwise 3×3 + pointwise 1×1, the paper) or ``full`` (one standard 3×3
  convolution in place of each separable pair: the "Conv MobileNet" of Table 4).

Every convolution is followed by BatchNorm and ReLU, as in the paper.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from mobisweep.models.registry import register_model
from mobisweep.models.table1 import (  # noqa: F401  (BLOCKS, TABLE_1, make_divisible: re-exported)
    BLOCKS,
    MIN_RESOLUTION,
    PAPER_DEPTH,
    TABLE_1,
    Block,
    LayerSpec,
    check_weights,
    layer_specs,
    make_divisible,
    validate_args,
    widths,
)


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1) -> nn.Sequential:
    """Convolution (no bias: BatchNorm follows), BatchNorm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DepthwiseSeparable(nn.Sequential):
    """Depthwise 3×3 conv then pointwise 1×1 conv, each with BatchNorm and ReLU (the paper's Fig.
    3)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.dw = conv_bn_relu(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pw = conv_bn_relu(in_channels, out_channels, 1)


class MobileNetV1(nn.Module):
    """MobileNet v1 with the paper's width multiplier, depth and block variants."""

    min_resolution = MIN_RESOLUTION

    def __init__(
        self,
        alpha: float = 1.0,
        depth: int = PAPER_DEPTH,
        block: Block = "separable",
        num_classes: int = 1000,
        dropout: float = 0.0,
        in_channels: int = 3,
        channel_divisor: int = 8,
        min_channels: int = 8,
    ) -> None:
        super().__init__()
        validate_args(alpha=alpha, depth=depth, block=block, num_classes=num_classes,
                      dropout=dropout, channel_divisor=channel_divisor, min_channels=min_channels)
        self.alpha, self.depth, self.block = float(alpha), int(depth), block

        check_weights(alpha=alpha, depth=depth, block=block, num_classes=num_classes,
                      in_channels=in_channels, channel_divisor=channel_divisor,
                      min_channels=min_channels)
        specs = layer_specs(depth)
        layers: list[nn.Module] = []
        channels = in_channels
        for spec, out in zip(specs, widths(alpha, depth, channel_divisor, min_channels)):
            if spec.kind == "conv" or block == "full":
                layers.append(conv_bn_relu(channels, out, 3, spec.stride))
            else:
                layers.append(DepthwiseSeparable(channels, out, spec.stride))
            channels = out
        self.features = nn.Sequential(*layers)
        self.num_features = channels
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.classifier.weight.is_meta:  # built for its shapes only (a cost count): no values
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def forward_features(self, x: Tensor) -> Tensor:
        return self.features(x)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool(self.forward_features(x)).flatten(1)
        return self.classifier(self.dropout(x))


@register_model
def mobilenet_v1(**kwargs: Any) -> MobileNetV1:
    """The paper's MobileNet (Table 1); ``alpha``, ``depth``, ``block`` as in ``MobileNetV1``."""
    return MobileNetV1(**kwargs)


@register_model
def mobilenet_v1_shallow(**kwargs: Any) -> MobileNetV1:
    """Table 5's shallow MobileNet: the five 14×14×512 separable layers removed."""
    return MobileNetV1(depth=0, **kwargs)


@register_model
def mobilenet_v1_conv(**kwargs: Any) -> MobileNetV1:
    """Table 4's Conv MobileNet: standard 3×3 convolutions in place of the separable ones."""
    return MobileNetV1(block="full", **kwargs)
