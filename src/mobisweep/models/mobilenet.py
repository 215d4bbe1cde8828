"""MobileNet v1 (Howard et al., 2017, arXiv:1704.04861).

The body is the paper's Table 1 written as data (``TABLE_1``); ``MobileNetV1`` walks it. Three knobs
reproduce the paper's variants:

* ``alpha``, the width multiplier: every layer's output channels become
  ``make_divisible(alpha * channels, channel_divisor)``, never below ``min_channels``. For the paper's
  α ∈ {1, 0.75, 0.5, 0.25} every product is already a multiple of 8, so the rounding changes nothing
  there and the paper's figures are reproduced exactly; it only matters for continuous α.
* ``depth``, how many of the five repeated 14×14×512 separable layers are kept: 5 is the paper's
  network, 0 its "shallow MobileNet" (Table 5).
* ``block``: ``separable`` (depthwise 3×3 + pointwise 1×1, the paper) or ``full`` (one standard 3×3
  convolution in place of each separable pair: the "Conv MobileNet" of Table 4).

Every convolution is followed by BatchNorm and ReLU, as in the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from mobisweep.errors import ConfigError, is_integer, is_number
from mobisweep.memory import check_weights_fit
from mobisweep.models.registry import register_model

Block = Literal["separable", "full"]
BLOCKS: tuple[str, ...] = ("separable", "full")


@dataclass(frozen=True)
class LayerSpec:
    """One row of Table 1."""

    kind: Literal["conv", "separable"]
    out_channels: int
    stride: int
    repeated: bool = False  # one of the five 14×14×512 layers that ``depth`` keeps or removes


# The paper prints the last depthwise layer as s2, but its input and output are both 7×7: it is
# stride 1 in every implementation (TF-slim, timm), and only stride 1 gives the paper's 569 M.
TABLE_1: tuple[LayerSpec, ...] = (
    LayerSpec("conv", 32, stride=2),
    LayerSpec("separable", 64, stride=1),
    LayerSpec("separable", 128, stride=2),
    LayerSpec("separable", 128, stride=1),
    LayerSpec("separable", 256, stride=2),
    LayerSpec("separable", 256, stride=1),
    LayerSpec("separable", 512, stride=2),
    *(LayerSpec("separable", 512, stride=1, repeated=True) for _ in range(5)),
    LayerSpec("separable", 1024, stride=2),
    LayerSpec("separable", 1024, stride=1),
)
PAPER_DEPTH = sum(spec.repeated for spec in TABLE_1)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, at least ``min_value``.

    The TF-slim / timm rule: never round down by more than 10 %, so thin layers are not starved.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


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
    """Depthwise 3×3 conv then pointwise 1×1 conv, each with BatchNorm and ReLU (the paper's Fig. 3)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.dw = conv_bn_relu(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pw = conv_bn_relu(in_channels, out_channels, 1)


class MobileNetV1(nn.Module):
    """MobileNet v1 with the paper's width multiplier, depth and block variants."""

    # The body downsamples by 32: below 32 px the last stages would see only padding.
    min_resolution = 32

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

        specs = layer_specs(depth)
        widths = [make_divisible(alpha * spec.out_channels, channel_divisor, min_channels)
                  for spec in specs]
        # Weights counted from the table before a layer is built: an absurd width is refused here.
        fan_in = [in_channels, *widths[:-1]]
        check_weights_fit("alpha", alpha, sum(
            9 * i * o if spec.kind == "conv" or block == "full" else 9 * i + i * o
            for spec, i, o in zip(specs, fan_in, widths)) + widths[-1] * num_classes)
        layers: list[nn.Module] = []
        channels = in_channels
        for spec, out in zip(specs, widths):
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


def layer_specs(depth: int = PAPER_DEPTH) -> list[LayerSpec]:
    """Table 1 with only the first ``depth`` of the repeated 14×14×512 layers kept."""
    kept, specs = 0, []
    for spec in TABLE_1:
        if spec.repeated:
            if kept == depth:
                continue
            kept += 1
        specs.append(spec)
    return specs


def validate_args(*, alpha: float, depth: int, block: str, num_classes: int, dropout: float,
                  channel_divisor: int, min_channels: int) -> None:
    """Refuse bad arguments before a single layer is built."""
    if not is_number(alpha) or not alpha > 0 or not math.isfinite(alpha):
        raise ConfigError("alpha", alpha, "the width multiplier must be a finite number > 0")
    if not is_integer(depth) or not 0 <= depth <= PAPER_DEPTH:
        raise ConfigError("depth", depth,
                          f"must be an integer in 0..{PAPER_DEPTH} (repeated 14x14x512 layers kept)")
    if block not in BLOCKS:
        raise ConfigError("block", block, f"must be one of {', '.join(BLOCKS)}")
    if not is_integer(num_classes) or num_classes < 1:
        raise ConfigError("num_classes", num_classes, "must be a positive integer")
    if not 0.0 <= dropout < 1.0:
        raise ConfigError("dropout", dropout, "must be in [0, 1)")
    for name, value in (("channel_divisor", channel_divisor), ("min_channels", min_channels)):
        if not is_integer(value) or value < 1:
            raise ConfigError(name, value, "must be an integer >= 1")


@register_model
def mobilenet_v1(**kwargs: object) -> MobileNetV1:
    """The paper's MobileNet (Table 1); ``alpha``, ``depth``, ``block`` as in ``MobileNetV1``."""
    return MobileNetV1(**kwargs)


@register_model
def mobilenet_v1_shallow(**kwargs: object) -> MobileNetV1:
    """Table 5's shallow MobileNet: the five 14×14×512 separable layers removed."""
    return MobileNetV1(depth=0, **kwargs)


@register_model
def mobilenet_v1_conv(**kwargs: object) -> MobileNetV1:
    """Table 4's Conv MobileNet: standard 3×3 convolutions in place of the separable ones."""
    return MobileNetV1(block="full", **kwargs)
