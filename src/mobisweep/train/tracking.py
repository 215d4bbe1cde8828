"""Experiment tracking: W&B online with an API key, offline without one, disabled on request.

The study storage and each trial's ``result.json`` are the source of truth; W&B mirrors them. Every
W&B run is finished, also on error, so a second trial in the same process never logs into the first.
"""

from __future__ import annotations

import json
import logging
import netrc
import os
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlparse

from hydra.utils import instantiate
from lightning.pytorch.loggers import Logger, WandbLogger
from omegaconf import DictConfig

from mobisweep.config.settings import check_mode

log = logging.getLogger(__name__)


class MobisweepWandbLogger(WandbLogger):
    """Lightning's WandbLogger without its ``anonymous=None``, which wandb >= 0.22 warns about."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._wandb_init.get("anonymous") is None:
            self._wandb_init.pop("anonymous", None)


def has_wandb_key() -> bool:
    """An API key in the environment or in ``~/.netrc`` (where ``wandb login`` puts it)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def wandb_mode(requested: str) -> str:
    """``auto`` is ``WANDB_MODE`` when set, else online with an API key and offline without.

    Online needs W&B's server: where it cannot be reached the run goes offline with one warning
    (its files sync later) instead of waiting out W&B's init timeout and failing the trial.
    """
    check_mode(requested)
    mode = requested
    if requested == "auto":
        from_env = os.environ.get("WANDB_MODE", "").lower()
        if from_env in ("online", "offline", "disabled"):
            mode = from_env
        elif from_env == "dryrun":
            mode = "offline"
        else:
            mode = "online" if has_wandb_key() else "offline"
    if mode == "online" and not wandb_reachable():
        return "offline"
    return mode


_REACHABLE: dict[str, bool] = {}


def wandb_reachable(timeout: float = 5.0) -> bool:
    """Whether W&B's server (``WANDB_BASE_URL``, default api.wandb.ai) accepts a connection.

    Asked once per process and server; warns once when it does not.
    """
    base_url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    if base_url not in _REACHABLE:
        parsed = urlparse(base_url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            socket.create_connection((parsed.hostname, port), timeout=timeout).close()
            _REACHABLE[base_url] = True
        except OSError as error:
            _REACHABLE[base_url] = False
            log.warning("W&B server %s unreachable (%s): logging offline; sync later with "
                        "`wandb sync <run dir>`", base_url, error.strerror or error)
    return _REACHABLE[base_url]


def make_logger(logger_cfg: DictConfig | None, name: str) -> Logger | None:
    """Instantiate ``cfg.logger``; W&B gets its resolved mode and, unless configured, ``name``."""
    if logger_cfg is None:
        return None
    overrides: dict[str, Any] = {}
    if "mode" in logger_cfg:
        overrides["mode"] = wandb_mode(logger_cfg.mode)
    if "name" in logger_cfg and logger_cfg.name is None:
        overrides["name"] = name
    return instantiate(logger_cfg, **overrides)


def log_summary(logger: Logger | None, summary: dict[str, Any]) -> None:
    """Record the trial's final figures: W&B's run summary, or a last metrics row elsewhere."""
    if isinstance(logger, WandbLogger):
        logger.experiment.summary.update(summary)
    elif logger is not None:
        logger.log_metrics({k: v for k, v in summary.items() if isinstance(v, (int, float))})
        logger.save()


def finish(logger: Logger | None, failed: bool = False) -> None:
    """End the logger's run; Lightning's WandbLogger never finishes its own."""
    if isinstance(logger, WandbLogger):
        if logger._experiment is not None:
            logger._experiment.finish(exit_code=1 if failed else 0)
    elif logger is not None:
        logger.finalize("failed" if failed else "success")


def wandb_run_dir(logger: Logger | None) -> str | None:
    """Where the W&B run writes its files (``run-*.wandb`` for an offline run)."""
    if isinstance(logger, WandbLogger) and logger._experiment is not None:
        return os.path.dirname(logger._experiment.dir)  # .dir is the run's files/ folder
    return None


def read_wandb_run(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a W&B run back from its files (offline runs too): state, config and summary.

    Offline runs write only ``run-*.wandb``; ``wandb leet inspect`` decodes it.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", "--summary", "--json", str(run_dir)],
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(completed.stdout)
