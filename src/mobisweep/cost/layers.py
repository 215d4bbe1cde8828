"""The paper's layer types (Table 2) and hooks on the layers that have one.

Counting (``count_cost``) and timing (``latency_breakdown``) both walk the same typed layers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from torch import nn

LAYER_TYPES: dict[str, str] = {
    "conv1x1": "Conv 1×1",
    "depthwise": "Conv DW",
    "conv": "Conv k×k (full)",
    "fc": "Fully connected",
    "other": "Other",
}


def layer_type(module: nn.Module) -> str | None:
    """The Table 2 type of a convolution or linear layer; ``None`` for any other module."""
    if isinstance(module, nn.Linear):
        return "fc"
    if not isinstance(module, nn.modules.conv._ConvNd):
        return None
    if module.groups == 1:
        return "conv1x1" if all(k == 1 for k in module.kernel_size) else "conv"
    if module.groups == module.in_channels and not module.transposed:
        return "depthwise"
    return "other"


def typed_layers(model: nn.Module) -> list[nn.Module]:
    """Every module of ``model`` that has a layer type."""
    return [m for m in model.modules() if layer_type(m) is not None]


@contextmanager
def layer_hooks(model: nn.Module, *, before: Callable | None = None,
                after: Callable | None = None) -> Iterator[list[nn.Module]]:
    """Forward pre-hooks (``before``) and hooks (``after``) on every typed layer, removed on exit;
    yields the layers."""
    layers = typed_layers(model)
    handles = []
    for layer in layers:
        if before is not None:
            handles.append(layer.register_forward_pre_hook(before))
        if after is not None:
            handles.append(layer.register_forward_hook(after))
    try:
        yield layers
    finally:
        for handle in handles:
            handle.remove()
