"""Checks of named settings that need no training stack: a refusal must not wait for torch or
Lightning to import (``python -m mobisweep`` checks a config in about a second)."""

from __future__ import annotations

from mobisweep.core.errors import ConfigError, is_integer

BACKENDS = ("eager", "channels_last", "onnxruntime")
DEVICES = ("cpu", "cuda")
WANDB_MODES = ("auto", "online", "offline", "disabled")


def check_settings(backend: str, device: str, batch_size: int, threads: int | None) -> None:
    """The latency settings: a known backend and device, a positive batch and thread count."""
    if backend not in BACKENDS:
        raise ConfigError("latency.backend", backend, f"must be one of {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise ConfigError("latency.device", device, f"must be one of {', '.join(DEVICES)}")
    if not is_integer(batch_size) or batch_size < 1:
        raise ConfigError("latency.batch_size", batch_size, "must be a positive integer")
    if threads is not None and (not is_integer(threads) or threads < 1):
        raise ConfigError("latency.threads", threads, "must be a positive integer or null")
    if device == "cuda":
        import torch  # only a CUDA request pays for asking torch

        if not torch.cuda.is_available():
            raise ConfigError("latency.device", device, "no CUDA device is available here")


def check_mode(mode: object) -> None:
    """``logger.mode`` is one of ``WANDB_MODES``."""
    if mode not in WANDB_MODES:
        raise ConfigError("logger.mode", mode, f"must be one of {', '.join(WANDB_MODES)}")
