"""One worker's sweep as an object, in the steps of Syne Tune's tuning loop: claim trials for the
free slots, launch each, collect the trials that ended, stop when nothing is left to run.

The loop knows nothing of what a trial trains. What it needs is handed to it:
- ``compose``: a trial's overrides to its config (Hydra's, in the sweeper);
- ``hook``: what the app adds to a trial's overrides and learns from its folder
  (``mobisweep.sweep.hook``);
- ``costs``: the figures known before training (none for any app; mobisweep's hook counts a
  MobileNet's, a replay's table records them), checked against the ``budget``;
- ``slots``: where trials run, real (``mobisweep.sweep.slots``: Hydra's launcher) or simulated
  (``mobisweep.replay``: recorded curves on a simulated clock);
- ``order``: the grid's points in the order to claim them (a stopping rule may ask for one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import optuna
from omegaconf import DictConfig, open_dict
from optuna.trial import TrialState

from mobisweep.sweep.budget import Budget
from mobisweep.sweep.hook import PointFigures, SweepHook
from mobisweep.sweep.launcher_adapter import ended_without_result
from mobisweep.sweep.recorder import Recorder
from mobisweep.sweep.space import SearchSpace
from mobisweep.sweep.study import claim_trials
from mobisweep.sweep.trial_attrs import OUTPUT_DIR, OVERRIDES, RESUMED_FROM, WORKER
from mobisweep.sweep.workers import Heartbeat, fail_stale_trials, study_lock

log = logging.getLogger(__name__)


class TrialSlots(Protocol):
    """Where the loop's trials run: ``mobisweep.sweep.slots.Slots`` or a replay's simulator."""

    size: int

    @property
    def free(self) -> int: ...

    @property
    def busy(self) -> int: ...

    @property
    def running(self) -> Any: ...

    def start(self, key: Any, overrides: Sequence[str], job_idx: int) -> None: ...

    def wait(self, timeout: float | None) -> list[tuple[Any, Any]]: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class LoopSettings:
    grid: bool
    n_trials: int
    max_retries: int
    heartbeat_interval: int
    grace_period: int
    wait_for_running: bool
    # Stop the sweep once more than this share of the trials it recorded failed (Hydra's Optuna
    # sweeper's setting); None: never, failed trials are retried and the sweep goes on.
    max_failure_rate: float | None = None


class SweepLoop:
    def __init__(self, *, study: optuna.Study, storage: Any, storage_url: str | None,
                 study_name: str, space: SearchSpace, settings: LoopSettings, slots: TrialSlots,
                 recorder: Recorder, heartbeat: Heartbeat,
                 compose: Callable[[list[str]], DictConfig],
                 costs: PointFigures, budget: Budget, sweep_dir: Path, worker: str,
                 detects_dead: bool, order: Sequence[dict[str, Any]] | None = None,
                 hook: SweepHook | None = None,
                 extend_space: Callable[[optuna.Trial], None] | None = None) -> None:
        self.study, self.storage, self.storage_url = study, storage, storage_url
        self.study_name, self.space, self.settings = study_name, space, settings
        self.slots, self.recorder, self.heartbeat = slots, recorder, heartbeat
        self.compose, self.costs, self.budget = compose, costs, budget
        self.sweep_dir, self.worker, self.detects_dead = sweep_dir, worker, detects_dead
        self.order, self.hook = order, hook or SweepHook()
        self.extend_space = extend_space  # Hydra's ``custom_search_space``: suggests more params
        self.job_idx = 0
        self.ended = self.failed = 0  # trials collected here, and those of them that failed
        self.last_failure: Any = None  # the last failed job's return: its error is re-raised
        self.elsewhere = 0  # trials other workers run, seen at the last claim

    def run(self) -> None:
        """Until nothing is left to claim or running: claim, launch, collect. On an interrupt every
        trial in flight is recorded as abandoned (and so retried) before it propagates."""
        try:
            while True:
                claimed = self.claim()
                for trial in claimed:
                    self.launch(trial)
                if claimed and self.slots.free:
                    continue  # refused or over budget: claim the next at once
                if self.should_stop():
                    return
                self.collect()
                self.check_failure_rate()
        except BaseException as error:  # Ctrl-C, SIGTERM, a launcher's own failure
            for trial in list(self.slots.running):
                self.recorder.abandoned(trial, error)
            self.slots.stop()
            raise

    def claim(self) -> list[optuna.Trial]:
        """Under the study lock: fail dead workers' trials, take one trial per free slot."""
        if not self.slots.free:
            return []
        s = self.settings
        with study_lock(self.storage, self.storage_url, self.study_name):
            for number in fail_stale_trials(self.study, s.grace_period):
                log.warning("trial %d: its worker stopped beating; marked FAIL", number)
            claim = claim_trials(self.study, self.space, grid=s.grid, n_trials=s.n_trials,
                                 n_jobs=self.slots.free, max_retries=s.max_retries,
                                 order=self.order)
        self.elsewhere = claim.running_elsewhere - self.slots.busy
        return claim.trials

    def launch(self, trial: optuna.Trial) -> None:
        overrides = self.prepare(trial)
        if overrides is None:
            return
        self.heartbeat.add(trial)
        self.slots.start(trial, overrides, self.job_idx)
        self.job_idx += 1

    def should_stop(self) -> bool:
        """Nothing runs here and nothing is left to claim. A worker that can tell dead workers
        from live ones waits for the others' running trials, to take over one whose worker dies."""
        if self.slots.busy:
            return False
        if self.elsewhere and self.detects_dead and self.settings.wait_for_running:
            time.sleep(min(self.settings.heartbeat_interval, 5))
            return False
        return True

    def collect(self) -> None:
        """Record the trials that ended. Wakes at least every few seconds while nothing ends: a
        worker elsewhere may die, and a free slot may find its trial queued again."""
        for trial, ret in self.slots.wait(timeout=min(self.settings.heartbeat_interval, 5)):
            self.heartbeat.remove(trial)
            self.ended += 1
            if isinstance(ret, BaseException):
                self.recorder.abandoned(trial, ret)  # FAIL: retried, from its checkpoint
                if not ended_without_result(ret):
                    raise ret  # the launcher's own failure (it cannot submit) ends the sweep
                self.failed += 1
                continue
            if self.recorder.finished(trial, ret) == TrialState.FAIL:
                self.failed += 1
                self.last_failure = ret

    def check_failure_rate(self) -> None:
        """Past ``max_failure_rate``, the sweep stops with the last failure's own error."""
        rate = self.settings.max_failure_rate
        if rate is None or not self.failed or self.failed / self.ended <= rate:
            return
        log.error("%d of %d trials failed, more than max_failure_rate=%g", self.failed,
                  self.ended, rate)
        if self.last_failure is not None:
            # Re-raises the job's own exception, with its traceback (as Hydra's sweeper does).
            _ = self.last_failure.return_value
        raise RuntimeError(f"{self.failed} of {self.ended} trials failed "
                           f"(max_failure_rate={rate:g})")

    def prepare(self, trial: optuna.Trial) -> list[str] | None:
        """The trial's overrides, or None when it is refused or over budget (and so recorded)."""
        params = self.space.suggest(trial)
        trial.set_user_attr(WORKER, self.worker)
        try:
            overrides = [*self.space.overrides(params), *self.extended(trial, params),
                         *self.hook.trial_overrides(trial_number=trial.number,
                                                    study_name=self.study_name,
                                                    storage_url=self.storage_url)]
            cfg = self.compose(overrides)
            figures = self.costs.of(params, cfg, latency=self.budget.needs_latency)
        except Exception as error:  # noqa: BLE001 - a value refused, an override Hydra cannot
            # Recorded: a claimed trial never stays RUNNING.
            self.recorder.refused(trial, error)
            return None
        self.recorder.costs(trial, figures)
        over = self.budget.over(figures)
        if over:
            self.recorder.skipped(trial, over)
            return None
        overrides += self.hook.launch_overrides(cfg, figures)
        with open_dict(cfg):  # the launcher numbers the job so (a subdir may name it)
            cfg.hydra.job.num = self.job_idx
        trial.set_user_attr(OUTPUT_DIR, str((self.sweep_dir / str(cfg.hydra.sweep.subdir))
                                            .resolve()))
        checkpoint = self.recorder.resume_checkpoint(trial)
        if checkpoint:
            trial.set_user_attr(RESUMED_FROM, checkpoint)
            overrides += self.hook.resume_overrides(checkpoint)
            log.info("trial %d resumes from %s", trial.number, checkpoint)
        trial.set_user_attr(OVERRIDES, overrides)
        return overrides

    def extended(self, trial: optuna.Trial, params: dict[str, Any]) -> list[str]:
        """The overrides of the params ``custom_search_space`` suggests beyond the space's."""
        if self.extend_space is None:
            return []
        self.extend_space(trial)
        return [f"{name}={value}" for name, value in trial.params.items() if name not in params]
