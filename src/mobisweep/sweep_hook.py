"""mobisweep's sweep hook (``hydra.sweeper.hook`` in ``conf/sweep/base.yaml``): what the sweeper
needs to know of a MobileNet trial.

- Each point is refused as a single run would refuse it, before the study opens
  (``mobisweep.config.validate``: no torch yet).
- Each point's mult-adds and parameters are counted, and its latency timed side by side, before
  any trial trains (``mobisweep.train.point_costs``): budgets and known-cost stopping rules read
  them, and the trial logs the side-by-side latency (``latency.side_by_side``).
- A trial gets its number, study and storage, to name its W&B run and report its curve.
- A retried trial resumes from its ``checkpoints/last.ckpt``, and every figure of its
  ``result.json`` goes on the study's trial.
- The finished sweep writes ``trials.csv``, the report and the summary run
  (``mobisweep.results.outputs``).

This module is imported when Hydra instantiates the sweeper: the training stack is imported only
inside the calls that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig

from mobisweep.config.validate import validate_config, validate_model, validate_resolution
from mobisweep.core import metrics
from mobisweep.core.trial_folder import last_checkpoint, read_result, result_file
from mobisweep.sweep.hook import PointFigures, SweepHook
from mobisweep.sweep.storage import absolute_url
from mobisweep.sweep.trial_attrs import RESULT_PATH


def quoted(value: str) -> str:
    """A string as one quoted value of a Hydra override: spaces, non-ASCII letters and quotes
    survive Hydra's override grammar (``study_name='stüdy ü'``). (Study names never hold a
    backslash: validate_config refuses it.)"""
    return "'" + value.replace("'", "\\'") + "'"


class MobisweepHook(SweepHook):
    def check_point(self, cfg: DictConfig) -> None:
        validate_config(cfg)
        validate_model(cfg.get("model"), validate_resolution(cfg.data))

    def point_figures(self) -> PointFigures:
        from mobisweep.train.point_costs import PointCosts  # torch: once the points have passed

        return PointCosts()

    def trial_overrides(self, *, trial_number: int, study_name: str,
                        storage_url: str | None) -> list[str]:
        overrides = [f"trial_number={trial_number}", f"study_name={quoted(study_name)}"]
        if storage_url:  # the trial reports its curve to the study (and may be pruned)
            overrides.append(f"study_storage={quoted(absolute_url(storage_url))}")
        return overrides

    def launch_overrides(self, cfg: DictConfig, figures: dict[str, Any]) -> list[str]:
        """Latency is timed side by side before training (``PointCosts``); the trial logs it."""
        if not (cfg.get("latency") and cfg.latency.enabled):
            return []
        from mobisweep.train.point_costs import side_by_side_override

        override = side_by_side_override(figures)
        return [override] if override else []

    def checkpoint(self, output_dir: Path) -> Path | None:
        path = last_checkpoint(output_dir)
        return path if path.is_file() else None

    def resume_overrides(self, checkpoint: str) -> list[str]:
        return [f"ckpt_path={quoted(checkpoint)}"]

    def trial_figures(self, output_dir: Path) -> dict[str, Any]:
        """Every figure the trial measured, beside its objectives: optuna-dashboard can then plot
        top-5, latency and its CV too."""
        result = read_result(output_dir)
        if not result:
            return {}
        figures: dict[str, Any] = {RESULT_PATH: str(result_file(output_dir).resolve())}
        figures.update({f.name: result["metrics"][f.name] for f in metrics.SUMMARY
                        if f.name in result["metrics"]})
        return figures

    def finish(self, study: optuna.Study, objectives: Sequence[str] | None, sweep_dir: Path,
               config: DictConfig) -> None:
        from mobisweep.paper.plots import beside_paper
        from mobisweep.results.outputs import finish_sweep

        finish_sweep(study, list(objectives or config.objectives), sweep_dir, config.get("logger"),
                     beside=beside_paper)
