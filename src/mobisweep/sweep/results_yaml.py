"""``optimization_results.yaml`` in the sweep folder, as Hydra's Optuna sweeper writes it: the best
trial's ``best_params`` and ``best_value`` for one objective, the Pareto ``solutions`` for several.
Written by every worker as it ends, from the whole study (all workers' trials)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
from omegaconf import OmegaConf
from optuna.trial import TrialState

from mobisweep.core.atomic_files import write_atomic
from mobisweep.sweep.study import trial_point

RESULTS_FILE = "optimization_results.yaml"


def optimization_results(study: optuna.Study) -> dict[str, Any] | None:
    """What Hydra's Optuna sweeper reports; None while no trial has completed."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    if len(study.directions) == 1:
        best = study.best_trial
        return {"name": "optuna", "best_params": trial_point(best), "best_value": best.value}
    return {"name": "optuna",
            "solutions": [{"params": trial_point(t), "values": list(t.values)}
                          for t in study.best_trials]}


def write_optimization_results(study: optuna.Study, sweep_dir: Path) -> Path | None:
    results = optimization_results(study)
    if results is None:
        return None
    path = sweep_dir / RESULTS_FILE
    write_atomic(path, OmegaConf.to_yaml(OmegaConf.create(results)).encode(),
                 what="the optimization results", field="hydra.sweep.dir")
    return path
