"""Build the model a config names, refusing bad values with the config field that holds them."""

from __future__ import annotations

from omegaconf import DictConfig
from torch import nn

from mobisweep.core.errors import ConfigError
from mobisweep.core.instantiate import instantiate_node
from mobisweep.models.labels import model_label


def build_model(model_cfg: DictConfig, resolution: int) -> nn.Module:
    """Instantiate ``model_cfg`` for ``resolution``-px inputs (checked against its minimum)."""
    model = instantiate_node(model_cfg, prefix="model")
    minimum = getattr(model, "min_resolution", 1)
    if resolution < minimum:
        raise ConfigError("data.resolution", resolution,
                          f"{model_label(model_cfg)} needs at least {minimum} px "
                          f"(raise data.rho or data.base_resolution)")
    return model
