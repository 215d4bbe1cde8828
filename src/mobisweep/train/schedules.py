"""Learning-rate schedules stepped every optimizer step, built from (optimizer, steps) by config."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def _warmup(step: int, warmup_steps: int) -> float:
    return (step + 1) / warmup_steps if step < warmup_steps else 1.0


def cosine(optimizer: Optimizer, total_steps: int, steps_per_epoch: int,
           warmup_epochs: float = 0.0, final_fraction: float = 0.0) -> LambdaLR:
    """Linear warm-up, then cosine decay to ``final_fraction`` of the peak at the last step."""
    warmup = round(warmup_epochs * steps_per_epoch)

    def factor(step: int) -> float:
        if step < warmup:
            return _warmup(step, warmup)
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, factor)


def step(optimizer: Optimizer, total_steps: int, steps_per_epoch: int, every_epochs: float = 2.0,
         gamma: float = 0.94, warmup_epochs: float = 0.0) -> LambdaLR:
    """Multiply the rate by ``gamma`` every ``every_epochs`` (Inception v3 / MobileNet: 0.94 per
    2)."""
    warmup = round(warmup_epochs * steps_per_epoch)
    period = max(1, round(every_epochs * steps_per_epoch))
    return LambdaLR(optimizer, lambda s: _warmup(s, warmup) * gamma ** (s // period))


def constant(optimizer: Optimizer, total_steps: int, steps_per_epoch: int) -> LambdaLR:
    """No schedule."""
    return LambdaLR(optimizer, lambda s: 1.0)
