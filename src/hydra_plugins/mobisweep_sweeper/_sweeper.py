"""A Hydra Sweeper over Optuna's ask/tell API (Optuna >= 4).

The loop: whenever a slot is free, under the study lock, fail the trials of dead workers and claim
as many trials as slots are free (queued retries and grid points first, ``mobisweep.sweep.study``);
skip those over the budget (cost needs no training, ``mobisweep.sweep.budget``); launch each of the
rest through Hydra's launcher in its own slot (``mobisweep.sweep.slots``) while a heartbeat keeps it
alive in the storage; record each as it ends (``mobisweep.sweep.recorder``). Before it,
``mobisweep.sweep.arguments`` and ``mobisweep.sweep.preflight`` check the arguments and every point;
after it, the study is summarized (``mobisweep.results``). Any number of workers may run this loop
on one storage.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict
from optuna.pruners import BasePruner

from mobisweep.cli import config_errors_exit, output_console
from mobisweep.sweep.arguments import check_arguments, check_points
from mobisweep.sweep.budget import Budget
from mobisweep.sweep.recorder import OUTPUT_DIR, RESUMED_FROM, WORKER, Recorder
from mobisweep.sweep.slots import Slots, ended_without_result
from mobisweep.sweep.space import SearchSpace, parse_search_space
from mobisweep.sweep.storage import absolute_url, check_no_password, masked, open_storage
from mobisweep.sweep.study import claim_trials, count_states, open_study
from mobisweep.sweep.workers import Heartbeat, detects_dead_workers, fail_stale_trials, study_lock

# The training stack (torch, Lightning, the results' plots) is imported by _sweep once the
# arguments and every point's values have passed: a refused sweep exits in about a second.
if TYPE_CHECKING:
    from mobisweep.sweep.preflight import PointCosts

log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def quoted(value: str) -> str:
    """A string as one quoted value of a Hydra override: spaces, non-ASCII letters and quotes
    survive Hydra's override grammar (``study_name='stüdy ü'``). (Study names never hold a
    backslash: validate_config refuses it.)"""
    return "'" + value.replace("'", "\\'") + "'"


def launcher_parallelism(launcher: DictConfig) -> int:
    """How many jobs the configured Hydra launcher runs at once."""
    n_jobs = launcher.get("n_jobs")  # joblib; -1 = every core
    if n_jobs is not None:
        return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    return int(launcher.get("array_parallelism") or 1)  # submitit (SLURM, local)


class OptunaSweeper(Sweeper):
    def __init__(self, sampler: Any, direction: Any, storage: str | None, study_name: str | None,
                 n_trials: int, n_jobs: int | None, grid: bool, max_retries: int,
                 heartbeat_interval: int, grace_period: int | None, wait_for_running: bool,
                 params: dict[str, Any] | None, pruner: Any = None) -> None:
        # Hydra instantiates nested _target_ nodes first: ``sampler`` arrives as an Optuna sampler,
        # ``pruner`` as an Optuna pruner.
        self.sampler, self.pruner = sampler, pruner
        self.directions = [direction] if isinstance(direction, str) else list(direction)
        self.storage, self.study_name = storage, study_name
        self.n_trials, self.n_jobs, self.max_retries = n_trials, n_jobs, max_retries
        self.grid = grid
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period or 2 * heartbeat_interval
        self.wait_for_running = wait_for_running
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.params = dict(params or {})
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function)
        self.sweep_dir = Path(str(config.hydra.sweep.dir))
        if self.n_jobs is None:
            self.n_jobs = launcher_parallelism(config.hydra.launcher)

    def sweep(self, arguments: list[str]) -> None:
        with config_errors_exit():
            self._sweep(arguments)

    def _sweep(self, arguments: list[str]) -> None:
        space = parse_search_space(self.params, arguments)
        check_no_password(self.storage)
        check_arguments(self.config, space, self.directions,
                        heartbeat_interval=self.heartbeat_interval, grace_period=self.grace_period,
                        max_retries=self.max_retries, n_trials=self.n_trials, n_jobs=self.n_jobs,
                        grid=self.grid, pruner=self.pruner, storage=self.storage)
        budget = Budget.from_config(OmegaConf.to_container(node) if (
            node := OmegaConf.select(self.config, "sweep.budget")) is not None else None)
        points = space.grid() if self.grid else space.probes()
        checked = check_points(self._trial_config, space, points)
        from mobisweep.results import finish_sweep
        from mobisweep.sweep.preflight import PointCosts

        costs = PointCosts()
        costs.check(checked)
        study_name = self.study_name or "mobisweep"
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        storage = open_storage(self.storage, self.heartbeat_interval, self.grace_period)
        study = open_study(study_name, storage, self.directions, self._sampler(), space,
                           list(self.config.objectives), url=self.storage,
                           pruner=self.pruner if isinstance(self.pruner, BasePruner) else None)
        total = len(space.grid()) if self.grid else self.n_trials
        slots = Slots(self.launcher, self.n_jobs)
        output_console().print(f"study [bold]{study_name}[/] ({masked(self.storage)}): "
                        f"{'grid of ' if self.grid else ''}{total} trials, "
                        f"{dict((s.name, n) for s, n in count_states(study).items())} already; "
                        f"worker {self.worker}, {slots.size} slot{'s' if slots.size > 1 else ''}")
        recorder = Recorder(study, len(self.directions))
        # Only where dead workers can be told from live ones is it worth waiting for them.
        detects_dead = detects_dead_workers(storage)
        with Heartbeat(study, self.heartbeat_interval) as heartbeat:
            try:
                self._run_slots(study, storage, space, budget, costs, recorder, study_name,
                                slots, heartbeat, detects_dead)
            except BaseException as error:  # Ctrl-C, SIGTERM, a launcher's own failure
                for trial in list(slots.running):
                    recorder.abandoned(trial, error)
                slots.stop()
                raise
        finish_sweep(study, list(self.config.objectives), self.sweep_dir, self.config.get("logger"))

    def _run_slots(self, study: optuna.Study, storage: Any, space: SearchSpace, budget: Budget,
                   costs: PointCosts, recorder: Recorder, study_name: str, slots: Slots,
                   heartbeat: Heartbeat, detects_dead: bool) -> None:
        """Claim a trial for every free slot, launch it, record each trial as it ends."""
        while True:
            claimed, elsewhere = [], 0
            if slots.free:
                with study_lock(storage, self.storage, study_name):
                    for number in fail_stale_trials(study, self.grace_period):
                        log.warning("trial %d: its worker stopped beating; marked FAIL", number)
                    claim = claim_trials(study, space, grid=self.grid, n_trials=self.n_trials,
                                         n_jobs=slots.free, max_retries=self.max_retries)
                claimed, elsewhere = claim.trials, claim.running_elsewhere - slots.busy
            for trial in claimed:
                job = self._prepare(trial, space, budget, costs, recorder, study_name)
                if job is not None:
                    heartbeat.add(trial)
                    slots.start(trial, job[1], self.job_idx)
                    self.job_idx += 1
            if claimed and slots.free:
                continue  # refused or over budget: claim the next at once
            if not slots.busy:
                if elsewhere and detects_dead and self.wait_for_running:
                    time.sleep(min(self.heartbeat_interval, 5))
                    continue
                return
            # Wake at least every few seconds while nothing ends: a worker elsewhere may die, and
            # a free slot (nothing left to claim a moment ago) may find its trial queued again.
            for trial, ret in slots.wait(timeout=min(self.heartbeat_interval, 5)):
                heartbeat.remove(trial)
                if isinstance(ret, BaseException):
                    recorder.abandoned(trial, ret)  # FAIL: retried, from its checkpoint
                    if not ended_without_result(ret):
                        raise ret  # the launcher's own failure (it cannot submit) ends the sweep
                    continue
                recorder.finished(trial, ret)

    def _sampler(self) -> optuna.samplers.BaseSampler:
        if self.grid:
            # Every grid trial is queued with its point, so no sampler is consulted. (Optuna's
            # GridSampler would stop the study, and fail on queued trials that it did not sample.)
            return optuna.samplers.RandomSampler(seed=0)
        if isinstance(self.sampler, optuna.samplers.BaseSampler):
            return self.sampler
        return instantiate(self.sampler)

    def _prepare(self, trial: optuna.Trial, space: SearchSpace, budget: Budget,
                 costs: PointCosts, recorder: Recorder, study_name: str) -> tuple[optuna.Trial, list[str]] | None:
        """The trial's overrides, or None when it is refused or over budget (and so recorded)."""
        params = space.suggest(trial)
        overrides = [*space.overrides(params), f"trial_number={trial.number}",
                     f"study_name={quoted(study_name)}"]
        if self.storage:  # the trial reports its curve to the study (and may be pruned)
            overrides.append(f"study_storage={quoted(absolute_url(self.storage))}")
        trial.set_user_attr(WORKER, self.worker)
        try:
            cfg = self._trial_config(overrides)
            figures = costs.of(params, cfg, latency=budget.needs_latency)
        except Exception as error:  # noqa: BLE001 - a value refused, an override Hydra cannot
            recorder.refused(trial, error)  # parse: recorded; a claimed trial never stays RUNNING
            return None
        recorder.costs(trial, figures)
        over = budget.over(figures)
        if over:
            recorder.skipped(trial, over)
            return None
        trial.set_user_attr(OUTPUT_DIR, str((self.sweep_dir / str(cfg.hydra.sweep.subdir))
                                            .resolve()))
        checkpoint = recorder.resume_checkpoint(trial)
        if checkpoint:
            trial.set_user_attr(RESUMED_FROM, checkpoint)
            overrides.append(f"ckpt_path={quoted(checkpoint)}")
            log.info("trial %d resumes from %s", trial.number, checkpoint)
        trial.set_user_attr("overrides", overrides)
        return trial, overrides

    def _trial_config(self, overrides: list[str]) -> DictConfig:
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(self.sweep_dir)
        return cfg
