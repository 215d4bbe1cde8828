"""``python -m mobisweep``: one trial (with ``-m``, a sweep of them) from Hydra's config tree."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from mobisweep.config.console import config_errors_exit
from mobisweep.config.loading import CONFIG_DIR
from mobisweep.config.validate import validate_config, validate_model, validate_resolution
from mobisweep.train.signals import Terminated, raise_on_sigterm


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def app(cfg: DictConfig) -> Any:  # the objectives, or Pruned: what the sweeper records
    # A launcher's job (submitit on SLURM, a joblib worker) calls this without main(): there too
    # SIGTERM (pre-emption, scancel, a time limit) ends the trial as an interrupt, which leaves no
    # result behind, so that a requeued job runs again instead of reporting a failure.
    raise_on_sigterm()
    # In a sweep the sweeper records a refused trial as failed and goes on; alone, it exits 2.
    single = HydraConfig.get().mode == RunMode.RUN
    with config_errors_exit() if single else contextlib.nullcontext():
        # Checked before the training stack is imported: a refusal costs a second, not five.
        validate_config(cfg)
        validate_model(cfg.get("model"), validate_resolution(cfg.data))
        from mobisweep.train.assembly import preflight

        cost = preflight(cfg)  # sizes from the model's shapes: torch, but not yet Lightning
        from mobisweep.train.run import run

        return run(cfg, cost)


def main() -> None:
    """The ``mobisweep`` command: a SIGTERM ends it as Ctrl-C would, with exit code 128 + 15."""
    raise_on_sigterm()
    try:
        app()
    except Terminated as interrupt:
        sys.exit(128 + interrupt.signum)


if __name__ == "__main__":
    main()
