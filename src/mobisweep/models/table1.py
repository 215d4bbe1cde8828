"""MobileNet v1's Table 1 as data, and the checks of MobileNet's arguments against it.

Nothing here imports torch: a config is refused (``mobisweep.config.validate``) before the training
stack loads, and ``mobilenet.py`` builds the network by walking the same table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mobisweep.core.errors import ConfigError, is_integer, is_number
from mobisweep.models.memory_fit import check_weights_fit

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
# The body downsamples by 32 (its stride-2 layers): below 32 px the last stages see only padding.
MIN_RESOLUTION = math.prod(spec.stride for spec in TABLE_1)


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor``, at least ``min_value``.

    The TF-slim / timm rule: never round down by more than 10 %, so thin layers are not starved.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


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
        raise ConfigError(
            "depth",
            depth,
            f"must be an integer in 0..{PAPER_DEPTH} (repeated 14x14x512 layers kept)",
        )
    if block not in BLOCKS:
        raise ConfigError("block", block, f"must be one of {', '.join(BLOCKS)}")
    if not is_integer(num_classes) or num_classes < 1:
        raise ConfigError("num_classes", num_classes, "must be a positive integer")
    if not is_number(dropout) or not 0.0 <= dropout < 1.0:
        raise ConfigError("dropout", dropout, "must be in [0, 1)")
    for name, value in (("channel_divisor", channel_divisor), ("min_channels", min_channels)):
        if not is_integer(value) or value < 1:
            raise ConfigError(name, value, "must be an integer >= 1")


def widths(alpha: float, depth: int, channel_divisor: int = 8, min_channels: int = 8) -> list[int]:
    """Each kept layer's output channels at width multiplier ``alpha``."""
    return [make_divisible(alpha * spec.out_channels, channel_divisor, min_channels)
            for spec in layer_specs(depth)]


def check_weights(*, alpha: float, depth: int, block: str, num_classes: int, in_channels: int = 3,
                  channel_divisor: int = 8, min_channels: int = 8) -> None:
    """Weights counted from the table before a layer is built: an absurd width is refused here."""
    specs, outs = layer_specs(depth), widths(alpha, depth, channel_divisor, min_channels)
    fan_in = [in_channels, *outs[:-1]]
    check_weights_fit("alpha", alpha, sum(
        9 * i * o if spec.kind == "conv" or block == "full" else 9 * i + i * o
        for spec, i, o in zip(specs, fan_in, outs)) + outs[-1] * num_classes)


# MobileNetV1's arguments and their defaults, as a config may set them.
ARGUMENTS = {"alpha": 1.0, "depth": PAPER_DEPTH, "block": "separable", "num_classes": 1000,
             "dropout": 0.0, "channel_divisor": 8, "min_channels": 8}


def check_arguments(model: Mapping[str, Any]) -> None:
    """A MobileNet config's arguments checked as ``MobileNetV1`` checks them, without building
    it."""
    args = {**ARGUMENTS, **{k: model[k] for k in ARGUMENTS if k in model}}
    validate_args(**args)
    check_weights(alpha=args["alpha"], depth=args["depth"], block=args["block"],
                  num_classes=args["num_classes"], channel_divisor=args["channel_divisor"],
                  min_channels=args["min_channels"])
