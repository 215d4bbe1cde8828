"""Models of the study. MobileNet v1 is built here; torchvision's and timm's come by config.

Names load on first use (PEP 562), so that the torch-free parts (``table1``, ``labels``) can be
imported to check a config before torch is.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {"MobileNetV1": "mobilenet", "make_divisible": "table1", "build_model": "factory",
         "model_label": "labels", "network_config": "labels", "point_label": "labels",
         "create_model": "registry", "list_models": "registry", "register_model": "registry"}

__all__ = ["MobileNetV1", "build_model", "create_model", "list_models", "make_divisible",
           "model_label", "network_config", "point_label", "register_model"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
