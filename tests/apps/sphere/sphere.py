"""A Hydra app that knows nothing of mobisweep: the sphere function of Hydra's Optuna sweeper
example, with a second objective, a failure on request, and a search-space extender."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hydra
import optuna
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig


def extend(config: DictConfig, trial: optuna.Trial) -> None:
    """``custom_search_space``: z depends on x, as in Hydra's docs."""
    trial.suggest_float("z", trial.params["x"] - 1, trial.params["x"] + 1)


@hydra.main(version_base=None, config_path=".", config_name="sphere")
def sphere(cfg: DictConfig) -> float | tuple[float, float]:
    x, y, z = float(cfg.x), float(cfg.y), float(cfg.z)
    if cfg.fail_above is not None and x > cfg.fail_above:
        raise ValueError(f"x={x} is above {cfg.fail_above}")
    # In the trial's own run folder: its values, and whether anything loaded a training stack.
    heavy = sorted(m for m in ("torch", "lightning", "mobisweep.train.run") if m in sys.modules)
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    (run_dir / "seen.txt").write_text(f"{x} {y} {z} {os.getpid()} {','.join(heavy) or '-'}\n")
    value = x**2 + y**2 + z**2
    return (value, (x - 2) ** 2 + y**2) if cfg.two_objectives else value


if __name__ == "__main__":
    sphere()
