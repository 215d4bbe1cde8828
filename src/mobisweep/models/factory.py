"""Build the model a config names, refusing bad values with the config field that holds them."""

from __future__ import annotations

from omegaconf import DictConfig
from torch import nn

from mobisweep.config import instantiate_node
from mobisweep.cost import Cost, count_cost
from mobisweep.errors import ConfigError
from mobisweep.validate import validate_resolution


def build_model(cfg: DictConfig) -> nn.Module:
    """Instantiate ``cfg.model`` and check ``cfg.data.resolution`` against the model's minimum."""
    resolution = validate_resolution(cfg.data)
    model = instantiate_node(cfg.model, prefix="model")
    minimum = getattr(model, "min_resolution", 1)
    if resolution < minimum:
        raise ConfigError("data.resolution", resolution,
                          f"{model_label(cfg.model)} needs at least {minimum} px "
                          f"(raise data.rho or data.base_resolution)")
    return model


def model_label(model_cfg: DictConfig) -> str:
    """A short readable name: ``mobilenet_v1-0.75``, ``vgg16``, or the timm model name."""
    if "model_name" in model_cfg:
        return str(model_cfg.model_name)
    name = str(model_cfg._target_).rsplit(".", 1)[-1]
    if name != "MobileNetV1":
        return name
    alpha = float(model_cfg.get("alpha", 1.0))
    label = f"mobilenet_v1-{alpha:.1f}" if alpha == round(alpha, 1) else f"mobilenet_v1-{alpha:g}"
    if model_cfg.get("depth", 5) != 5:
        label += f"-depth{model_cfg.depth}"
    if model_cfg.get("block", "separable") != "separable":
        label += f"-{model_cfg.block}"
    return label


def build_model_with_cost(cfg: DictConfig) -> tuple[nn.Module, Cost]:
    """``build_model(cfg)`` and its mult-adds and parameters at ``cfg.data.resolution``."""
    model = build_model(cfg)
    try:
        return model, count_cost(model, cfg.data.resolution)
    except ConfigError as error:
        raise error.within("data") from None
