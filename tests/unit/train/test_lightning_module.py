"""The LightningModule's optimizer groups and schedules, and W&B's mode selection."""

from __future__ import annotations

import functools
import socket

import pytest
import torch

from mobisweep.config import wandb_mode as wandb_mode_module
from mobisweep.config.wandb_mode import wandb_mode
from mobisweep.core.errors import ConfigError
from mobisweep.models import MobileNetV1
from mobisweep.train import schedules
from mobisweep.train.lightning_module import parameter_groups


@pytest.mark.parametrize("decay_depthwise", [False, True])
def test_weight_decay_skips_batchnorm_bias_and_optionally_depthwise(decay_depthwise):
    model = MobileNetV1(alpha=0.25)
    decay, no_decay = parameter_groups(model, 4e-5, decay_depthwise)
    decayed = {id(p) for p in decay["params"]}
    assert decay["weight_decay"] == 4e-5 and no_decay["weight_decay"] == 0.0
    assert len(decayed) + len(no_decay["params"]) == len(list(model.parameters()))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            assert id(module.weight) not in decayed and id(module.bias) not in decayed
        if isinstance(module, torch.nn.Conv2d):
            depthwise = module.groups == module.in_channels > 1
            assert (id(module.weight) in decayed) == (decay_depthwise or not depthwise)
    assert id(model.classifier.weight) in decayed and id(model.classifier.bias) not in decayed


def rates(factory, steps: int) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = factory(optimizer, total_steps=steps, steps_per_epoch=10)
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def test_schedules():
    cosine = rates(functools.partial(schedules.cosine, warmup_epochs=1), 100)
    assert cosine[0] == pytest.approx(0.1) and cosine[9] == pytest.approx(1.0)
    assert cosine[-1] < 0.01 and all(a >= b for a, b in zip(cosine[10:], cosine[11:]))
    step = rates(functools.partial(schedules.step, every_epochs=2, gamma=0.5), 60)
    assert step[19] == 1.0 and step[20] == 0.5 and step[40] == 0.25
    assert set(rates(schedules.constant, 5)) == {1.0}


def test_wandb_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert wandb_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setattr(wandb_mode_module, "_REACHABLE", {})
    with socket.create_server(("127.0.0.1", 0)) as server:  # a W&B server that accepts connections
        monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
        assert wandb_mode("auto") == "online"
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens: offline
    assert wandb_mode("auto") == "offline"
    assert wandb_mode("online") == "offline"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode("auto") == "disabled"
    assert wandb_mode("offline") == "offline"
    with pytest.raises(ConfigError, match="logger.mode='sometimes'"):
        wandb_mode("sometimes")
