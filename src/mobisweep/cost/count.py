"""Mult-adds and parameters of any ``nn.Module``, counted the MobileNet paper's way.

What is counted
    *Mult-adds* (multiply-accumulates, MACs) of every convolution and fully connected layer, and of
    any other matrix product (``matmul``, ``bmm``, attention) the model runs: the multiplications of
    ``torch.utils.flop_counter`` divided by two, since a FLOP counter reports 2 FLOPs per mult-add.
    One forward pass at batch 1, ``resolution`` × ``resolution`` input, in eval mode.

What is not counted
    BatchNorm, activations, pooling, residual additions, softmax, and the additions of biases: the
    paper leaves them out, so a FLOP counter that includes them (timm's published 0.58 GMACs for
    ``mobilenetv1_100`` includes BatchNorm) reads higher than these figures.

Parameters
    ``params`` counts the weights and biases of convolution and linear layers (the paper's Table 2
    convention); ``params_all`` counts every parameter, BatchNorm's affine ones included.

Layer types (the paper's Table 2): ``conv1x1`` (pointwise), ``depthwise`` (groups = in_channels),
``conv`` (a standard k×k convolution, k > 1), ``fc`` (``nn.Linear``), ``other`` (grouped
convolutions and functional matrix products).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from mobisweep.core.errors import ConfigError
from mobisweep.core.metrics import MULT_ADDS, PARAMS, PARAMS_ALL
from mobisweep.cost.layers import LAYER_TYPES, layer_hooks, layer_type


@dataclass(frozen=True)
class Cost:
    """The cost of one model at one input resolution."""

    resolution: int
    mult_adds: int
    params: int
    params_all: int
    mult_adds_by_type: dict[str, int] = field(default_factory=dict)
    params_by_type: dict[str, int] = field(default_factory=dict)
    # Elements of every leaf module's output for one image: what a training step keeps for its
    # backward pass, per image (``mobisweep.models.memory_fit`` estimates a step's memory from it).
    activations: int = 0

    @property
    def mult_adds_M(self) -> float:  # noqa: N802 - the paper's unit
        return self.mult_adds / 1e6

    @property
    def params_M(self) -> float:  # noqa: N802
        return self.params / 1e6

    def metrics(self) -> dict[str, float]:
        """The figures a trial records, by their names in ``mobisweep.core.metrics``."""
        return {MULT_ADDS.name: self.mult_adds_M, PARAMS.name: self.params_M,
                PARAMS_ALL.name: self.params_all / 1e6}

    def mult_adds_share(self, layer_type: str) -> float:
        """Percentage of all mult-adds spent in ``layer_type``."""
        return 100.0 * self.mult_adds_by_type.get(layer_type, 0) / self.mult_adds

    def params_share(self, layer_type: str) -> float:
        """Percentage of conv and linear parameters held by ``layer_type``."""
        return 100.0 * self.params_by_type.get(layer_type, 0) / self.params


def _layer_mult_adds(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> int:
    batch = output.shape[0] if output.dim() > 1 else 1
    if isinstance(module, nn.Linear):
        return output.numel() // batch * module.in_features
    assert isinstance(module, nn.modules.conv._ConvNd)  # only typed layers are hooked
    kernel = math.prod(module.kernel_size)
    if module.transposed:  # each input element is scattered over a kernel of output channels
        return inputs[0].numel() // batch * module.out_channels // module.groups * kernel
    return output.numel() // batch * module.in_channels // module.groups * kernel


def count_cost(model: nn.Module, resolution: int, in_channels: int = 3) -> Cost:
    """Count ``model``'s mult-adds and parameters on one ``resolution``-square input.

    Runs one forward pass (batch 1, eval mode, no grad) on the model's own device and restores its
    train/eval mode afterwards. A model on the ``meta`` device is counted without computing or
    allocating anything: shapes are all counting needs. An input the model cannot run on raises
    ``ConfigError("resolution")``.
    """
    reference = next(model.parameters(), None)
    x = torch.zeros(1, in_channels, resolution, resolution,
                    device=reference.device if reference is not None else "cpu",
                    dtype=reference.dtype if reference is not None else torch.float32)
    by_type: Counter[str] = Counter()

    activations = 0

    def record(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        by_type[str(layer_type(module))] += _layer_mult_adds(module, inputs, output)

    def keep(module: nn.Module, inputs: tuple[Tensor, ...], output: object) -> None:
        nonlocal activations
        if isinstance(output, Tensor):
            activations += output.numel()

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(keep) for m in leaves]
    was_training = model.training
    model.eval()
    try:
        with layer_hooks(model, after=record) as typed, torch.no_grad(), \
                FlopCounterMode(display=False) as counter:
            try:
                model(x)
            except RuntimeError as error:  # e.g. a pooling window larger than its feature map
                first_line = str(error).strip().splitlines()[0]
                raise ConfigError(
                    "resolution",
                    resolution,
                    f"the model cannot run on this input size ({first_line})",
                ) from error
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()

    # The FLOP counter sees every matrix product, the hooks only module calls; what the counter
    # sees beyond the typed modules (attention, functional matmuls) is "other".
    mult_adds = counter.get_total_flops() // 2
    untyped = mult_adds - sum(v for k, v in by_type.items() if k != "other")
    if untyped < 0:
        raise RuntimeError(f"layer hooks counted {-untyped} more mult-adds than the FLOP counter")
    by_type["other"] = untyped

    params_by_type: Counter[str] = Counter()
    for module in typed:
        params_by_type[str(layer_type(module))] += sum(
            p.numel() for p in module.parameters(recurse=False)
        )
    return Cost(
        resolution=resolution,
        mult_adds=mult_adds,
        params=sum(params_by_type.values()),
        params_all=sum(p.numel() for p in model.parameters()),
        mult_adds_by_type={k: by_type.get(k, 0) for k in LAYER_TYPES},
        params_by_type={k: params_by_type.get(k, 0) for k in LAYER_TYPES},
        activations=activations,
    )
