"""What the study learns of each trial: refused, skipped over budget, finished, failed, abandoned.

A claimed trial always ends in one of these: never left RUNNING by this worker.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.hook import SweepHook
from mobisweep.sweep.trial_attrs import (
    ERROR,
    INTERRUPTED,
    OUTPUT_DIR,
    REFUSED,
    RESUMED_FROM,
    RETRY_OF,
    SKIPPED,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    """What a pruned trial returns to the sweeper (not an error: Hydra would log one per trial)."""

    reason: str


def _error_text(error: BaseException) -> str:
    """A refused value reads as the one-line ConfigError; anything else with its type."""
    return (
        str(error) if isinstance(error, ConfigError) else f"{type(error).__name__}: {error}"[:1000]
    )


class Recorder:
    def __init__(self, study: optuna.Study, n_objectives: int,
                 hook: SweepHook | None = None) -> None:
        self.study, self.n_objectives = study, n_objectives
        self.hook = hook or SweepHook()

    def refused(self, trial: optuna.Trial, error: BaseException) -> None:
        """Its config was refused (a value, an override Hydra cannot parse): retrying cannot
        help."""
        trial.set_user_attr(ERROR, _error_text(error))
        trial.set_user_attr(REFUSED, True)
        self.study.tell(trial, state=TrialState.FAIL)
        log.warning("trial %d refused: %s", trial.number, error)

    def skipped(self, trial: optuna.Trial, reason: str) -> None:
        """Over budget: PRUNED, never trained (its cost figures are already recorded)."""
        trial.set_user_attr(SKIPPED, reason)
        self.study.tell(trial, state=TrialState.PRUNED)
        log.info("trial %d skipped: %s", trial.number, reason)

    def costs(self, trial: optuna.Trial, figures: dict[str, float]) -> None:
        for name, value in figures.items():
            trial.set_user_attr(name, value)

    def finished(self, trial: optuna.Trial, ret: Any) -> TrialState:
        """Tell what a launched job returned: its objectives, or a FAIL with its error."""
        output_dir = Path(ret.hydra_cfg.hydra.runtime.output_dir) if ret.hydra_cfg else None
        try:
            value = ret.return_value  # re-raises the job's exception
            if isinstance(value, Pruned):
                raise optuna.TrialPruned(value.reason)
            values = [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
            if len(values) != self.n_objectives:
                raise ValueError(f"the trial returned {len(values)} objectives, "
                                 f"the study has {self.n_objectives}")
            if not all(math.isfinite(v) for v in values):
                raise ValueError(f"non-finite objective {values}")
        except optuna.TrialPruned as pruned:  # its last reported value stays its value
            trial.set_user_attr(SKIPPED, str(pruned))
            self.study.tell(trial, state=TrialState.PRUNED)
            log.info("trial %d %s", trial.number, pruned)
            return TrialState.PRUNED
        except Exception as error:  # noqa: BLE001 - any failure of a trial is recorded, not fatal
            trial.set_user_attr(ERROR, f"{type(error).__name__}: {error}"[:1000])
            self.study.tell(trial, state=TrialState.FAIL)
            log.warning("trial %d failed: %s: %s", trial.number, type(error).__name__, error)
            return TrialState.FAIL
        if output_dir is not None:
            for name, value in self.hook.trial_figures(output_dir).items():
                trial.set_user_attr(name, value)
        self.study.tell(trial, values=values)
        log.info("trial %d: %s", trial.number, values)
        return TrialState.COMPLETE

    def abandoned(self, trial: optuna.Trial, error: BaseException) -> None:
        """A trial that will not finish here (Ctrl-C, a launcher's failure) is FAIL, never COMPLETE;
        an interrupted one does not count as a failure of its point."""
        interrupted = isinstance(error, (KeyboardInterrupt, SystemExit))
        try:
            trial.set_user_attr(INTERRUPTED, interrupted)
            trial.set_user_attr(ERROR, f"{type(error).__name__}: {error}"[:1000])
            self.study.tell(trial, state=TrialState.FAIL)
        except Exception:  # noqa: BLE001 - the storage itself may be what failed
            log.exception("trial %d could not be marked failed", trial.number)
            return
        log.warning("trial %d %s", trial.number,
                    "interrupted: marked FAIL, resumed on the next run" if interrupted
                    else f"abandoned: {type(error).__name__}")

    def resume_checkpoint(self, trial: optuna.Trial) -> str | None:
        """The last checkpoint of the attempt this trial retries, if that attempt saved one."""
        number = trial.user_attrs.get(RETRY_OF)
        if number is None:
            return None
        previous = next(t for t in self.study.get_trials(deepcopy=False) if t.number == number)
        output_dir = previous.user_attrs.get(OUTPUT_DIR)
        checkpoint = self.hook.checkpoint(Path(output_dir)) if output_dir else None
        return str(checkpoint) if checkpoint else previous.user_attrs.get(RESUMED_FROM)
