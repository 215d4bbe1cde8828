"""Whether a model, its cost count or a training step fits in memory: estimated from shapes alone
(a count on the ``meta`` device allocates nothing), checked before any real tensor is allocated, so
an absurd size is one line naming its field instead of a failed 120 GB allocation."""

from __future__ import annotations

import os

from mobisweep.core.errors import ConfigError

# Weights, their gradients and two optimizer states (Adam's or RMSprop's), in float32.
WEIGHT_COPIES = 4
# A training step keeps the layers' outputs for its backward pass. Measured on a CPU (MobileNet 1.0,
# 224 px, SGD with momentum, batch 8 and 32): the peak grew by 1.02x and 0.86x the summed leaf
# outputs (in-place ReLUs are counted twice there, which covers the transient gradients).
ACTIVATION_COPIES = 1


def available_bytes() -> int:
    """Memory this process can still take: Linux's MemAvailable, else the physical memory."""
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def gib(size: float) -> str:
    for unit, scale in (("GiB", 2**30), ("TiB", 2**40)):
        if size < 1024 * scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size / 2**50:,.3g} PiB"


def check_weights_fit(field: str, value: object, weights: int, limit: int | None = None) -> None:
    """``weights`` float32 numbers (a model's parameters) fit in memory."""
    limit = available_bytes() if limit is None else limit
    if 4 * weights > limit:
        raise ConfigError(field, value, f"the model's weights alone need {gib(4 * weights)}, more "
                                        f"than the {gib(limit)} of memory available here")


def check_input_fits(resolution: int, batch_size: int, channels: int = 3,
                     limit: int | None = None) -> None:
    """A batch of ``resolution``-square float32 images fits: a bound on absurd sizes that needs
    no model (the model's own estimate, ``check_training_fits``, comes after)."""
    limit = available_bytes() if limit is None else limit
    one = 4 * channels * resolution**2
    if one * max(1, batch_size) > limit:
        _refuse(one * max(1, batch_size), one, limit, resolution, batch_size,
                "a batch of input images alone needs", "memory available here")


def training_bytes(params: int, activations: int, batch_size: int, element_bytes: int = 4) -> int:
    """About what one training step of a model holds: its weights (with gradients and optimizer
    state) and ``batch_size`` images' activations."""
    return 4 * WEIGHT_COPIES * params + ACTIVATION_COPIES * element_bytes * batch_size * activations


def check_training_fits(params: int, activations: int, batch_size: int, resolution: int, *,
                        element_bytes: int = 4, limit: int | None = None,
                        where: str = "memory available here") -> None:
    """A training step at ``batch_size`` fits; else the field to change: the resolution where even
    one image does not fit, the batch size where a smaller batch would."""
    limit = available_bytes() if limit is None else limit
    need = training_bytes(params, activations, batch_size, element_bytes)
    if need > limit:
        _refuse(need, training_bytes(params, activations, 1, element_bytes), limit, resolution,
                batch_size, "a training step needs about", where,
                " (estimated from the model's shapes)")


def _refuse(need: int, need_one: int, limit: int, resolution: int, batch_size: int, what: str,
            where: str, how: str = "") -> None:
    """Name the field to change: the resolution where even one image does not fit, else the
    batch."""
    field, value = ("data.resolution", resolution) if need_one > limit \
        else ("data.batch_size", batch_size)
    raise ConfigError(
        field, value, f"{what} {gib(need)}{how}, more than the {gib(limit)} of {where}"
    )
