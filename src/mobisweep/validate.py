"""Checks on a composed config that need no model and no data: run before any compute is spent."""

from __future__ import annotations

from omegaconf import DictConfig

from mobisweep.errors import ConfigError


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_resolution(data: DictConfig) -> int:
    """``data.rho`` and ``data.resolution`` are sane; returns the resolution in pixels."""
    rho = data.get("rho")
    if rho is not None and (not _is_number(rho) or not rho > 0):
        raise ConfigError("data.rho", rho, "the resolution multiplier must be a number > 0")
    resolution = data.resolution
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise ConfigError("data.resolution", resolution, "must be a positive integer (pixels)")
    return resolution
