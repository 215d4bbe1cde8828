"""A fixed random subset of a split: a sweep's budget knob, the same images in every trial."""

from __future__ import annotations

import torch

from mobisweep.core.errors import ConfigError, is_integer

# Each split draws from its own generator (seed + offset), so the validation subset does not
# depend on whether the training split was subset.
SPLIT_OFFSETS = {"train": 0, "val": 1}


def check_subset(field: str, size: object) -> None:
    """``size`` is null (the whole split) or a positive integer."""
    if size is not None and (not is_integer(size) or int(size) < 1):  # type: ignore[call-overload]
        raise ConfigError(field, size, "must be null or an integer >= 1")


def subset_indices(length: int, size: int | None, seed: int, split: str) -> list[int] | None:
    """``size`` seeded random indices of ``range(length)``; None when the whole split is kept."""
    if size is None or size >= length:
        return None
    generator = torch.Generator().manual_seed(seed + SPLIT_OFFSETS[split])
    return torch.randperm(length, generator=generator)[:size].tolist()
