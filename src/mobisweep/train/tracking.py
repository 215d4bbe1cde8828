"""Experiment tracking: W&B online with an API key, offline without one, disabled on request.

The study storage and each trial's ``result.json`` are the source of truth; W&B mirrors them. Every
W&B run is finished, also on error, so a second trial in the same process never logs into the first.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

from hydra.utils import instantiate
from lightning.pytorch.loggers import Logger, WandbLogger
from omegaconf import DictConfig

from mobisweep.config.wandb_mode import wandb_mode
from mobisweep.train.wandb_adapter import started_run

log = logging.getLogger(__name__)


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
    run = started_run(logger)
    if run is not None:
        run.finish(exit_code=1 if failed else 0)
    elif logger is not None:
        logger.finalize("failed" if failed else "success")


def wandb_run_dir(logger: Logger | None) -> str | None:
    """Where the W&B run writes its files (``run-*.wandb`` for an offline run)."""
    run = started_run(logger)
    if run is not None:
        return os.path.dirname(run.dir)  # .dir is the run's files/ folder
    return None


def read_wandb_run(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a W&B run back from its files (offline runs too): state, config and summary.

    Offline runs write only ``run-*.wandb``; ``wandb leet inspect`` decodes it.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", "--summary", "--json", str(run_dir)],
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(completed.stdout)
