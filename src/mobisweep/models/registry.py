"""A name -> builder registry, so that a string names a model (as in timm):
``conf/model/mobilenet.yaml``
builds through it (``_target_: mobisweep.models.create_model``, ``name: mobilenet_v1``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry itself loads no torch: names are checked before it is imported
    from torch import nn

from mobisweep.core.errors import ConfigError

ModelBuilder = Callable[..., "nn.Module"]
_MODELS: dict[str, ModelBuilder] = {}


def register_model(builder: ModelBuilder) -> ModelBuilder:
    """Register ``builder`` under its function name; used as a decorator."""
    name = builder.__name__
    if name in _MODELS:
        raise ValueError(f"model {name!r} is registered twice")
    _MODELS[name] = builder
    return builder


def _load_builders() -> None:
    """Import the modules whose builders register themselves (``models/__init__`` loads lazily)."""
    import mobisweep.models.mobilenet  # noqa: F401


def create_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name`` with ``kwargs``."""
    _load_builders()
    try:
        builder = _MODELS[name]
    except KeyError:
        raise ConfigError("name", name, f"no such model; registered: {', '.join(list_models())}") \
            from None
    return builder(**kwargs)


def list_models() -> list[str]:
    """The registered model names, sorted."""
    _load_builders()
    return sorted(_MODELS)
