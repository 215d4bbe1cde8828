"""Models of the study. MobileNet v1 is built here; baselines come from torchvision and timm by config."""

from mobisweep.models.factory import build_model
from mobisweep.models.labels import model_label, network_config, point_label
from mobisweep.models.mobilenet import MobileNetV1, make_divisible
from mobisweep.models.registry import create_model, list_models, register_model

__all__ = ["MobileNetV1", "build_model", "create_model", "list_models", "make_divisible",
           "model_label", "network_config", "point_label", "register_model"]
