"""What an app tells the sweeper about its trials, beyond the config Hydra composes for them.

The sweeper itself knows nothing of what a trial runs: with this base hook it sweeps any Hydra app
(a sphere function, a user's own model), with its slots, grid, retries, resume, stopping rules and
SLURM. An app that knows more names its own hook in its sweep config
(``hydra.sweeper.hook._target_``); mobisweep's (``mobisweep.sweep_hook``) refuses a
MobileNet point before any compute, counts each point's cost and times its latency before
training, and resumes a trial from its checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig


class PointFigures:
    """The figures of a point known before training (none here), for budgets and stopping rules
    that compare trials by cost."""

    def check(self, checked: Sequence[tuple[dict[str, Any], DictConfig]]) -> None:
        """Called once with the points checked up front, before the study opens."""

    def of(self, point: dict[str, Any], cfg: DictConfig, latency: bool = False
           ) -> dict[str, float]:
        return {}


class SweepHook:
    """The default: a trial is its overrides, and what it returns is all the sweeper learns."""

    def check_point(self, cfg: DictConfig) -> None:
        """Refuse a point's composed config before the study opens (raise ``ConfigError``)."""

    def point_figures(self) -> PointFigures:
        return PointFigures()

    def trial_overrides(self, *, trial_number: int, study_name: str,
                        storage_url: str | None) -> list[str]:
        """Overrides every trial gets to know where it belongs (none: the app may lack the keys)."""
        return []

    def launch_overrides(self, cfg: DictConfig, figures: dict[str, Any]) -> list[str]:
        """Overrides made from the point's figures known before training."""
        return []

    def checkpoint(self, output_dir: Path) -> Path | None:
        """The checkpoint an earlier attempt left in its run folder, to resume from."""
        return None

    def resume_overrides(self, checkpoint: str) -> list[str]:
        return []

    def trial_figures(self, output_dir: Path) -> dict[str, Any]:
        """Figures the trial wrote in its run folder, recorded on the trial beside its values."""
        return {}

    def finish(self, study: optuna.Study, objectives: Sequence[str] | None, sweep_dir: Path,
               config: DictConfig) -> None:
        """After the last trial: what the app writes of the whole sweep."""
