"""MobileNet v1 against the paper: architecture, width, depth, block, and every cost figure."""

from __future__ import annotations

import pytest
import timm
import torch
from torch import nn

from mobisweep.core.errors import ConfigError
from mobisweep.cost.count import count_cost
from mobisweep.models import MobileNetV1, create_model, list_models, make_divisible
from mobisweep.models.table1 import TABLE_1, layer_specs
from mobisweep.paper.published import PAPER_ROWS, TABLE_2

MOBILENET_ROWS = [
    row for row in PAPER_ROWS if not any(o.startswith("model=") for o in row.overrides)
]


def mobilenet_for(overrides: tuple[str, ...]) -> tuple[MobileNetV1, int]:
    kwargs, resolution = {}, 224
    for override in overrides:
        key, value = override.split("=")
        if key == "data.resolution":
            resolution = int(value)
        else:
            name = key.removeprefix("model.")
            kwargs[name] = value if name == "block" else type(getattr(MobileNetV1(), name))(value)
    return MobileNetV1(**kwargs), resolution


@pytest.mark.parametrize("row", MOBILENET_ROWS, ids=lambda r: f"table{r.table}-{r.name}")
def test_paper_tables_4_to_9(row):
    model, resolution = mobilenet_for(row.overrides)
    cost = count_cost(model, resolution)
    fc = cost.mult_adds_by_type["fc"] if row.without_fc else 0
    assert abs((cost.mult_adds - fc) / 1e6 - row.mult_adds_M) <= 1.0
    assert abs(cost.params_M - row.params_M) <= 0.05


def test_conv_mobilenet_with_and_without_fc():
    cost = count_cost(MobileNetV1(block="full"), 224)
    assert round(cost.mult_adds_M, 1) == 4867.3
    assert round((cost.mult_adds - cost.mult_adds_by_type["fc"]) / 1e6, 1) == 4866.3
    assert cost.mult_adds_by_type["depthwise"] == 0


def test_thin_beats_shallow_at_matched_cost():
    thin, shallow = count_cost(MobileNetV1(alpha=0.75), 224), count_cost(MobileNetV1(depth=0), 224)
    assert abs(thin.mult_adds_M - shallow.mult_adds_M) / shallow.mult_adds_M < 0.07
    assert thin.params < shallow.params


def test_table_2_shares():
    cost = count_cost(MobileNetV1(), 224)
    for kind, (paper_mult_adds, paper_params) in TABLE_2.items():
        assert cost.params_share(kind) == pytest.approx(paper_params, abs=0.05)
        if kind != "conv":
            assert cost.mult_adds_share(kind) == pytest.approx(paper_mult_adds, abs=0.05)
    # The paper's 1.19 % cannot come from its Table 1; the first conv is what it is.
    assert cost.mult_adds_by_type["conv"] == 112 * 112 * 32 * 3 * 3 * 3
    assert cost.mult_adds_share("conv") == pytest.approx(1.91, abs=0.005)
    assert sum(cost.mult_adds_share(k) for k in TABLE_2) == pytest.approx(100.0)


def test_same_costs_as_timm_mobilenetv1_100():
    ours = count_cost(MobileNetV1(), 224)
    theirs = count_cost(timm.create_model("mobilenetv1_100", pretrained=False), 224)
    assert (ours.mult_adds, ours.params, ours.params_all) == (
        theirs.mult_adds, theirs.params, theirs.params_all)
    assert ours.mult_adds_by_type == theirs.mult_adds_by_type


def test_architecture_is_table_1():
    model = MobileNetV1()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == 28  # the paper's 28 layers: dw and pw counted apart, plus the FC
    assert all(isinstance(m, (nn.BatchNorm2d, nn.ReLU)) for block in model.features.modules()
               if isinstance(block, nn.Sequential) and isinstance(block[0], nn.Conv2d)
               for m in block[1:])
    strides = [c.stride[0] for c in convs]
    assert torch.tensor(strides).prod().item() == 32
    assert [c.out_channels for c in convs if c.kernel_size == (1, 1)][-1] == 1024
    assert len(layer_specs(5)) == len(TABLE_1) and len(layer_specs(0)) == len(TABLE_1) - 5


@pytest.mark.parametrize("depth", range(6))
def test_depth_keeps_that_many_14x14_layers(depth):
    model = MobileNetV1(depth=depth, num_classes=7)
    assert len(model.features) == 9 + depth
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 7)


@pytest.mark.parametrize("alpha", [0.25, 0.3, 0.5, 0.75, 1.0, 1.25])
def test_alpha_scales_every_layer_with_documented_rounding(alpha):
    model = MobileNetV1(alpha=alpha)
    widths = [c.out_channels for c in model.modules() if isinstance(c, nn.Conv2d)]
    assert all(w % 8 == 0 and w >= 8 for w in widths)
    base = [c.out_channels for c in MobileNetV1().modules() if isinstance(c, nn.Conv2d)]
    # never more than 10 % below α·channels, never a whole divisor above it
    assert all(0.9 * alpha * b <= w < alpha * b + 8 for w, b in zip(widths, base))


def test_make_divisible():
    assert make_divisible(24) == 24
    assert make_divisible(9.6) == 16  # nearest multiple is 8, which would lose over 10 %
    assert make_divisible(3, min_value=8) == 8
    assert make_divisible(100, divisor=1) == 100


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"alpha": 0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": "abc"}, "alpha"),
        ({"depth": 6}, "depth"),
        ({"depth": -1}, "depth"),
        ({"depth": 2.5}, "depth"),
        ({"block": "dense"}, "block"),
        ({"num_classes": 0}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, field):
    with pytest.raises(ConfigError) as error:
        MobileNetV1(**kwargs)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}=")


def test_registry_names_the_paper_variants():
    assert {"mobilenet_v1", "mobilenet_v1_shallow", "mobilenet_v1_conv"} <= set(list_models())
    assert create_model("mobilenet_v1_shallow", alpha=0.5).depth == 0
    assert create_model("mobilenet_v1_conv").block == "full"
    with pytest.raises(ConfigError, match="name=.mobilenet_v9.: no such model"):
        create_model("mobilenet_v9")
