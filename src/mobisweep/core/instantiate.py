"""Hydra's ``instantiate``, with a refusal as one line naming the config node."""

from __future__ import annotations

from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from mobisweep.core.errors import ConfigError


def instantiate_node(node: DictConfig, prefix: str | None = None, *, field: str | None = None,
                     **kwargs: Any) -> Any:
    """``hydra.utils.instantiate``, re-raising a ``ConfigError`` from the target as itself (under
    ``prefix`` when the target names its own arguments) instead of Hydra's multi-line wrapper. Any
    other refusal by the target (a library's ``ValueError``, ``TypeError``, ... for an argument it
    cannot take) becomes a ``ConfigError`` naming the config node (``field``, else ``prefix``) and
    the target's own first line, which names the argument."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise (cause.within(prefix) if prefix else cause) from None
        if isinstance(cause, Exception):  # the target cannot be made from these arguments
            lines = str(cause).strip().splitlines()
            raise ConfigError(field or prefix or "_target_", node.get("_target_"),
                              f"{type(cause).__name__}: {lines[0] if lines else ''}") from None
        raise
