"""Cost accounting on hand-computed cases: what is counted, what is not, and how types are split."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mobisweep.core.errors import ConfigError
from mobisweep.cost.count import count_cost
from mobisweep.cost.layers import layer_type
from mobisweep.models import MobileNetV1


class Tiny(nn.Module):
    """One layer of every type, plus a functional matmul, at hand-countable sizes."""

    def __init__(self, batchnorm: bool = False) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if batchnorm else (lambda c: nn.Identity())
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), norm(8), nn.ReLU())
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 16, 1)
        self.grouped = nn.Conv2d(16, 16, 3, padding=1, groups=4, bias=False)
        self.fc = nn.Linear(16, 5)
        self.mix = nn.Parameter(torch.eye(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.grouped(self.pw(self.dw(self.stem(x))))
        return self.fc(x.mean((2, 3))) @ self.mix


def test_hand_computed_mult_adds_and_params():
    cost = count_cost(Tiny(), resolution=10)
    pixels = 10 * 10
    assert cost.mult_adds_by_type == {
        "conv": pixels * 8 * 3 * 9,
        "depthwise": pixels * 8 * 9,
        "conv1x1": pixels * 8 * 16,
        "fc": 16 * 5,
        "other": pixels * 16 * 4 * 9 + 5 * 5,  # grouped conv + the functional matmul
    }
    assert cost.mult_adds == sum(cost.mult_adds_by_type.values())
    assert cost.params_by_type == {"conv": 216, "depthwise": 72 + 8, "conv1x1": 128 + 16,
                                   "fc": 80 + 5, "other": 16 * 4 * 9}
    assert cost.params_all == cost.params + 25  # the free parameter is not a layer's


def test_batchnorm_relu_pooling_are_not_counted_as_mult_adds():
    plain, normed = count_cost(Tiny(), 10), count_cost(Tiny(batchnorm=True), 10)
    assert plain.mult_adds == normed.mult_adds
    assert normed.params == plain.params and normed.params_all == plain.params_all + 16


def test_count_keeps_the_model_mode_and_weights():
    model = MobileNetV1(alpha=0.25).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    count_cost(model, 64)
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_resolution_scales_mult_adds_not_params():
    big, small = count_cost(MobileNetV1(), 448), count_cost(MobileNetV1(), 224)
    assert small.params == big.params
    fc = small.mult_adds_by_type["fc"]
    assert fc == big.mult_adds_by_type["fc"]
    assert (small.mult_adds - fc) * 4 == big.mult_adds - fc  # ρ² with ρ = 1/2, exactly


def test_layer_type_classification():
    assert layer_type(nn.Conv2d(4, 4, 3, groups=4)) == "depthwise"
    assert layer_type(nn.Conv2d(4, 8, 1)) == "conv1x1"
    assert layer_type(nn.Conv2d(4, 8, 5)) == "conv"
    assert layer_type(nn.Conv2d(4, 8, 3, groups=2)) == "other"
    assert layer_type(nn.Linear(3, 3)) == "fc"
    assert layer_type(nn.BatchNorm2d(3)) is None


def test_input_too_small_for_the_model_is_a_config_error():
    alexnet_like = nn.Sequential(nn.Conv2d(3, 4, 11, stride=4), nn.MaxPool2d(3, 2),
                                 nn.MaxPool2d(3, 2))
    with pytest.raises(ConfigError, match=r"^resolution=16: the model cannot run"):
        count_cost(alexnet_like, 16)
