"""Checks on a composed config that need no model and no data: run before any compute is spent."""

from __future__ import annotations

import math

from omegaconf import DictConfig, OmegaConf

from mobisweep.config.settings import check_mode, check_settings
from mobisweep.core.errors import ConfigError, is_integer, is_number
from mobisweep.core.metrics import DEPLOY_PREFIX, OBJECTIVES, TOP1, is_latency
from mobisweep.models.labels import MOBILENET, model_label
from mobisweep.models.memory_fit import check_input_fits
from mobisweep.models.table1 import MIN_RESOLUTION, check_arguments
from mobisweep.models.timm_names import is_timm_model

# (field, lowest, highest or None, whether the lowest is allowed); checked where the config has the
# field. NaN and infinity are refused everywhere.
NUMBERS = (
    ("optimizer.lr", 0.0, None, False),
    ("optimizer.momentum", 0.0, 1.0, True),
    ("optimizer.alpha", 0.0, 1.0, True),
    ("optimizer.eps", 0.0, None, False),
    ("optimizer.weight_decay", 0.0, None, True),
    ("module.weight_decay", 0.0, None, True),
    ("module.label_smoothing", 0.0, 1.0, True),
    ("scheduler.warmup_epochs", 0.0, None, True),
    ("scheduler.final_fraction", 0.0, 1.0, True),
    ("scheduler.every_epochs", 0.0, None, False),
    ("scheduler.gamma", 0.0, 1.0, False),
    ("latency.max_seconds", 0.0, None, False),
    ("latency.target_cv", 0.0, None, False),
    ("latency.turn_seconds", 0.0, None, True),
    ("data.min_scale", 0.0, 1.0, False),
)
# (field, lowest, whether null is refused); checked where the config has the field.
INTEGERS = (("latency.warmup", 0, True), ("latency.min_runs", 1, True),
            ("latency.max_runs", 1, True), ("latency.rounds", 1, True), ("seed", 0, True),
            ("latency.resolution", 1, False), ("data.batch_size", 1, True))


_ABSENT = object()
MOBILENET_TARGET = "mobisweep.models.create_model"
TIMM_TARGET = "timm.create_model"
TORCHVISION_TARGETS = "torchvision.models."


def validate_resolution(data: DictConfig) -> int:
    """``data.rho`` and ``data.resolution`` are sane; returns the resolution in pixels."""
    rho = data.get("rho")
    if rho is not None and (not is_number(rho) or not rho > 0 or not math.isfinite(rho)):
        raise ConfigError("data.rho", rho, "the resolution multiplier must be a finite number > 0")
    base = data.get("base_resolution")
    if base is not None and (not is_integer(base) or base < 1):
        raise ConfigError("data.base_resolution", base, "must be a positive integer (pixels)")
    resolution = data.resolution
    if not is_integer(resolution) or resolution < 1:
        raise ConfigError("data.resolution", resolution, "must be a positive integer (pixels)")
    # One input image alone, before any layer: refused here, before a tensor of its shape (even
    # a shape-only one) is made.
    check_input_fits(
        resolution, data.get("batch_size") if is_integer(data.get("batch_size")) else 1
    )
    return resolution


def validate_model(model: DictConfig | None, resolution: int) -> None:
    """A MobileNet config's width multiplier, depth, block and the like, and the resolution's lower
    bound, checked from Table 1, and a timm model's name against timm's list, before torch is
    imported (other models are checked as they are built)."""
    if model is None:
        return
    if model.get("_target_") == TIMM_TARGET:
        name = model.get("model_name")
        if not isinstance(name, str) or is_timm_model(name) is False:
            raise ConfigError(
                "model.model_name",
                name,
                "not a timm model (python -c 'import timm; print(timm.list_models())')",
            )
        return
    if str(model.get("_target_", "")).startswith(TORCHVISION_TARGETS):
        weights = model.get("weights")
        # torchvision reads any other value as "the pretrained weights" (deprecated since 0.13),
        # which would be downloaded: a string names a weights enum, which torchvision checks.
        if weights is not None and (not isinstance(weights, str) or not weights):
            raise ConfigError("model.weights", weights,
                              "null (trained from scratch) or a torchvision weights name, "
                              "e.g. IMAGENET1K_V1")
        return
    if model.get("_target_") != MOBILENET_TARGET or \
            not str(model.get("name", "")).startswith(MOBILENET):
        return
    try:
        check_arguments(model)
    except ConfigError as error:
        raise error.within("model") from None
    if resolution < MIN_RESOLUTION:
        raise ConfigError("data.resolution", resolution,
                          f"{model_label(model)} needs at least {MIN_RESOLUTION} px "
                          f"(raise data.rho or data.base_resolution)")


def validate_config(cfg: DictConfig) -> None:
    """Everything about a trial's config that can be refused before data or model are touched
    (the resolution is checked where the model is built: ``trial.build_and_count``)."""
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
        raise ConfigError("objectives", objectives, f"name at least one metric, e.g. [{TOP1.name}]")
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown:
        raise ConfigError("objectives", unknown[0], f"must be among {', '.join(OBJECTIVES)}")
    if any(is_latency(o) for o in objectives) and not cfg.latency.enabled:
        raise ConfigError("latency.enabled", False, "a latency objective needs latency measured")
    if any(o.startswith(DEPLOY_PREFIX) for o in objectives) and not cfg.latency.get("resolution"):
        raise ConfigError("latency.resolution", None,
                          f"a {DEPLOY_PREFIX}* objective needs the deployment resolution (px)")
    check_settings(cfg.latency.backend, cfg.latency.device, cfg.latency.batch_size,
                   cfg.latency.threads)
    validate_numbers(cfg)
    share_cores = cfg.get("share_cores", True)
    if not isinstance(share_cores, bool):
        raise ConfigError("share_cores", share_cores, "must be true or false")
    logger = cfg.get("logger")
    if logger is not None and "mode" in logger:
        check_mode(logger.mode)
    study_name = cfg.get("study_name")
    if study_name is not None and (not isinstance(study_name, str) or not study_name.strip()
                                   or any(c in study_name for c in "/\\\0\n\r\t")):
        raise ConfigError("study_name", study_name,
                          "must be a non-empty name without / \\ or control characters "
                          "(it names the sweep's folder)")


def validate_numbers(cfg: DictConfig) -> None:
    """Every numeric setting of the optimizer, schedule, module, latency and seed in its range."""
    for field, low, high, closed in NUMBERS:
        value = OmegaConf.select(cfg, field, default=None)
        if value is None:
            continue
        inside = is_number(value) and math.isfinite(value) and (high is None or value <= high) \
            and (value >= low if closed else value > low)
        if not inside:
            bound = (f">= {low:g}" if closed else f"> {low:g}") + \
                (f" and <= {high:g}" if high is not None else "")
            raise ConfigError(field, value, f"must be a finite number {bound}")
    for field, low, required in INTEGERS:
        value = OmegaConf.select(cfg, field, default=_ABSENT)
        if value is _ABSENT or (value is None and not required):
            continue
        if not is_integer(value) or value < low:
            raise ConfigError(field, value, f"must be an integer >= {low}")
    latency = cfg.get("latency")
    if latency is not None and latency.get("max_runs") is not None and \
            latency.max_runs < latency.get("min_runs", 1):
        raise ConfigError("latency.max_runs", latency.max_runs,
                          f"must be >= latency.min_runs={latency.min_runs}")
