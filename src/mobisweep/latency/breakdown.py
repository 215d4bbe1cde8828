"""Where inference time goes, per layer type: the measured twin of the paper's Table 2.

Each convolution and linear layer runs inside a profiler range named after its type; the PyTorch
profiler sums the CPU time of each range over repeated forward passes. ``other`` is what the typed
layers do not cover: BatchNorm, ReLU, pooling, and the framework between them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.autograd.profiler import record_function
from torch.profiler import ProfilerActivity, profile

from mobisweep.cost.layers import LAYER_TYPES, layer_hooks, layer_type

_PREFIX = "mobisweep::"


@contextmanager
def _type_ranges(model: nn.Module) -> Iterator[None]:
    open_ranges: dict[int, record_function] = {}

    def enter(module: nn.Module, inputs: object) -> None:
        ranged = record_function(_PREFIX + str(layer_type(module)))
        ranged.__enter__()
        open_ranges[id(module)] = ranged

    def leave(module: nn.Module, inputs: object, output: object) -> None:
        open_ranges.pop(id(module)).__exit__(None, None, None)

    with layer_hooks(model, before=enter, after=leave):
        yield


def latency_breakdown(model: nn.Module, resolution: int, *, batch_size: int = 1, runs: int = 20,
                      warmup: int = 5, channels_last: bool = False) -> dict[str, float]:
    """Milliseconds per forward pass spent in each layer type (``LAYER_TYPES``) and in total,
    CPU."""
    net = copy.deepcopy(model).eval()
    example = torch.randn(batch_size, 3, resolution, resolution)
    if channels_last:
        net, example = (net.to(memory_format=torch.channels_last),
                        example.contiguous(memory_format=torch.channels_last))
    with torch.inference_mode():
        for _ in range(warmup):
            net(example)
        with _type_ranges(net), profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(runs):
                with record_function(_PREFIX + "total"):
                    net(example)
    totals = {e.key.removeprefix(_PREFIX): e.cpu_time_total / 1e3 / runs
              for e in prof.key_averages() if e.key.startswith(_PREFIX)}
    per_type = {kind: totals.get(kind, 0.0) for kind in LAYER_TYPES if kind != "other"}
    total = totals["total"]
    per_type["other"] = max(0.0, total - sum(per_type.values()))
    per_type["total"] = total
    return per_type
