"""Every path a run will write, checked for that before anything runs: a run or sweep folder under a
regular file, an unwritable lock file or cache, a study file in /proc is one line naming its field,
not a traceback from deep inside Hydra, Optuna or a data module.

``PathsCheck`` is a Hydra callback (``hydra.callbacks`` in ``conf/config.yaml``): Hydra calls it
with the composed config before it makes the run or sweep folder, so nothing is created for a
refused run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from mobisweep.config.console import config_errors_exit
from mobisweep.core.errors import ConfigError


def _first_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe(field: str, value: str, folder: Path) -> None:
    """Make and remove one empty file in ``folder``: the one test of writing that holds for root too
    (who passes ``os.access``) and for /proc and read-only mounts."""
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".mobisweep-probe-")
    except OSError as error:
        raise ConfigError(field, value, f"cannot be written: {folder}: {error.strerror}") from None
    os.close(handle)
    os.unlink(name)


def check_output(field: str, value: Any, *, is_file: bool = False, path: str | None = None) -> None:
    """A folder (``is_file``: a file) that a run will create or write into: ``value`` itself, or
    the ``path`` it names (a storage URL's file)."""
    if value is None or str(value) == "":
        if value is not None:
            raise ConfigError(field, value, "must be a path")
        return
    target = Path(path or str(value)).expanduser()
    if target.exists():
        if is_file and target.is_dir():
            raise ConfigError(field, str(value), "is a folder, not a file")
        if not is_file and not target.is_dir():
            raise ConfigError(field, str(value), "is a file, not a folder")
    existing = _first_existing(target.parent if is_file else target)
    if not existing.is_dir():
        raise ConfigError(field, str(value), f"{existing} is a file: nothing can be made under it")
    _probe(field, str(value), existing)


def sqlite_file(url: str | None) -> str | None:
    """The file of a ``sqlite:///`` or ``journal:///`` storage URL; None for a server's."""
    for prefix in ("sqlite:///", "journal:///"):
        if url and url.startswith(prefix) and ":memory:" not in url:
            return url.removeprefix(prefix)
    return None


def check_paths(cfg: DictConfig, multirun: bool) -> None:
    """Each path of a composed config (Hydra's node included) that the run will write."""
    hydra = cfg.get("hydra")  # absent where a config was composed outside a run (tests, tools)
    if hydra is not None:
        check_output("hydra.sweep.dir" if multirun else "hydra.run.dir",
                     hydra.sweep.dir if multirun else hydra.run.dir)
    if multirun and hydra is not None:
        storage = OmegaConf.select(cfg, "hydra.sweeper.storage", default=None)
        if sqlite_file(storage):
            check_output("hydra.sweeper.storage", storage, is_file=True, path=sqlite_file(storage))
    latency = cfg.get("latency")
    if latency is not None and latency.get("enabled") and latency.get("lock_file"):
        check_output("latency.lock_file", latency.lock_file, is_file=True)
    if cfg.get("data") is not None and cfg.data.get("cache_dir") is not None:
        check_output("data.cache_dir", cfg.data.cache_dir)


class PathsCheck(Callback):
    """Refuse a run whose paths cannot be written, before Hydra makes its folder."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        with config_errors_exit():
            check_paths(config, multirun=False)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        with config_errors_exit():
            check_paths(config, multirun=True)
