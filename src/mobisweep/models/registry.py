"""A name -> builder registry, so that a string names a model (as in timm): ``conf/model/mobilenet.yaml``
builds through it (``_target_: mobisweep.models.create_model``, ``name: mobilenet_v1``)."""

from __future__ import annotations

from typing import Callable

from torch import nn

from mobisweep.errors import ConfigError

ModelBuilder = Callable[..., nn.Module]
_MODELS: dict[str, ModelBuilder] = {}


def register_model(builder: ModelBuilder) -> ModelBuilder:
    """Register ``builder`` under its function name; used as a decorator."""
    name = builder.__name__
    if name in _MODELS:
        raise ValueError(f"model {name!r} is registered twice")
    _MODELS[name] = builder
    return builder


def create_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name`` with ``kwargs``."""
    try:
        builder = _MODELS[name]
    except KeyError:
        raise ConfigError("name", name, f"no such model; registered: {', '.join(list_models())}") \
            from None
    return builder(**kwargs)


def list_models() -> list[str]:
    """The registered model names, sorted."""
    return sorted(_MODELS)
