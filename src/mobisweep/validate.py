"""Checks on a composed config that need no model and no data: run before any compute is spent."""

from __future__ import annotations

from omegaconf import DictConfig

from mobisweep.errors import ConfigError, is_integer, is_number
from mobisweep.latency import check_settings


def validate_resolution(data: DictConfig) -> int:
    """``data.rho`` and ``data.resolution`` are sane; returns the resolution in pixels."""
    rho = data.get("rho")
    if rho is not None and (not is_number(rho) or not rho > 0):
        raise ConfigError("data.rho", rho, "the resolution multiplier must be a number > 0")
    resolution = data.resolution
    if not is_integer(resolution) or resolution < 1:
        raise ConfigError("data.resolution", resolution, "must be a positive integer (pixels)")
    return resolution


def validate_config(cfg: DictConfig) -> None:
    """Everything about a trial's config that can be refused before data or model are touched."""
    epochs = cfg.trainer.get("max_epochs")
    if not is_integer(epochs) or epochs < 1:
        raise ConfigError("trainer.max_epochs", epochs, "must be an integer >= 1")
    if "_target_" not in cfg.data:
        raise ConfigError("data", None, "the data config names no _target_ datamodule")
    num_classes = cfg.data.get("num_classes")
    if not is_integer(num_classes) or num_classes < 2:
        raise ConfigError("data.num_classes", num_classes, "must be an integer >= 2")
    objectives = cfg.get("objectives") or []
    if not objectives:
        raise ConfigError("objectives", objectives, "name at least one metric, e.g. [val/acc1]")
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown:
        raise ConfigError("objectives", unknown[0], f"must be among {', '.join(OBJECTIVES)}")
    if any(o.startswith("latency/") for o in objectives) and not cfg.latency.enabled:
        raise ConfigError("latency.enabled", False, "a latency objective needs latency measured")
    check_settings(cfg.latency.backend, cfg.latency.device, cfg.latency.batch_size,
                   cfg.latency.threads)
    validate_resolution(cfg.data)


# What a trial can return to a sweeper (every one is in result.json's metrics).
OBJECTIVES = ("val/acc1", "val/acc5", "val/loss", "cost/mult_adds_M", "cost/params_M",
              "train/images_per_s", "latency/median_ms", "latency/p90_ms")
