"""Where the configs live, mobisweep's OmegaConf resolvers, and composing configs without a CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, ListConfig, OmegaConf


def _config_dir() -> Path:
    # Inside a wheel the build puts conf/ in the package; in a checkout it sits at the repo root.
    package = Path(__file__).resolve().parents[1]
    packaged = package / "conf"
    return packaged if packaged.is_dir() else package.parents[1] / "conf"


CONFIG_DIR = _config_dir()


def resolution_from_rho(rho: float, base_resolution: int) -> int | None:
    """The paper's resolution multiplier: ρ scales the data's base resolution (224 for ImageNet).
    None where either is not a number: ``validate_resolution`` names the one that is wrong."""
    try:
        return round(float(rho) * int(base_resolution))
    except (TypeError, ValueError, OverflowError):
        return None


def class_count(classes: Any, every: int) -> Any:
    """How many classes ``data.classes`` selects: all ``every`` (null), ``n``, or a list's length,
    so that ``data.classes=10`` alone sets ``data.num_classes``. Anything else is passed on for the
    data module to refuse by name."""
    if classes is None:
        return every
    if isinstance(classes, (list, ListConfig)):
        return len(classes)
    return classes


def register_resolvers() -> None:
    """Register the resolvers the configs use; safe to call more than once."""
    OmegaConf.register_new_resolver("resolution", resolution_from_rho, replace=True)
    OmegaConf.register_new_resolver("class_count", class_count, replace=True)


register_resolvers()


@contextmanager
def config_composer(config_name: str = "config") -> Iterator[Callable[[Sequence[str]], DictConfig]]:
    """Yield ``compose(overrides) -> DictConfig`` over mobisweep's config tree (Hydra's compose
    API)."""
    def _compose(overrides: Sequence[str] = ()) -> DictConfig:
        return compose(config_name=config_name, overrides=list(overrides))

    if GlobalHydra.instance().is_initialized():  # inside a @hydra.main app: reuse its search path
        yield _compose
        return
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        yield _compose


def load_config(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose one config from mobisweep's tree with Hydra ``overrides``."""
    with config_composer(config_name) as compose_config:
        return compose_config(overrides)
