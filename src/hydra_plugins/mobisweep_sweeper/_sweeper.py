"""A Hydra Sweeper over Optuna's ask/tell API (Optuna >= 4), for any Hydra app.

This module reads the sweeper's config and wires ``mobisweep.sweep.loop.SweepLoop``: whenever a
slot is free, under the study lock, fail the trials of dead workers and claim as many trials as
slots are free (queued retries and grid points first, in the stopping rule's order if it has one,
``mobisweep.sweep.study``); skip those over the budget (cost needs no training,
``mobisweep.sweep.budget``); launch each of the rest in its own slot (Hydra's launcher,
``mobisweep.sweep.slots``, or a replay's simulated one, ``mobisweep.replay``) while a heartbeat
keeps it alive in the storage; record each as it ends (``mobisweep.sweep.recorder``). Before it,
``mobisweep.sweep.arguments`` checks the arguments, and the app's hook every point
(``mobisweep.sweep.hook``); after it, ``optimization_results.yaml`` is written as Hydra's Optuna
sweeper writes it, and the hook writes what the app makes of the sweep. Any number of workers may
run this loop on one storage.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import warnings
from pathlib import Path
from typing import Any, cast

import optuna
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import get_method, instantiate
from omegaconf import DictConfig, OmegaConf, open_dict
from optuna.pruners import BasePruner

from mobisweep.config.console import config_errors_exit, output_console
from mobisweep.core.errors import ConfigError
from mobisweep.sweep.arguments import check_arguments, check_points
from mobisweep.sweep.budget import Budget
from mobisweep.sweep.compose import TrialComposer
from mobisweep.sweep.cost_aware import KnownCostRule
from mobisweep.sweep.hook import PointFigures, SweepHook
from mobisweep.sweep.loop import LoopSettings, SweepLoop
from mobisweep.sweep.recorder import Recorder
from mobisweep.sweep.results_yaml import write_optimization_results
from mobisweep.sweep.slots import Slots
from mobisweep.sweep.space import SearchSpace, parse_search_space
from mobisweep.sweep.storage import check_no_password, masked, open_storage
from mobisweep.sweep.study import count_states, open_study
from mobisweep.sweep.workers import Heartbeat, detects_dead_workers

log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def launcher_parallelism(launcher: DictConfig) -> int:
    """How many jobs the configured Hydra launcher runs at once."""
    n_jobs = launcher.get("n_jobs")  # joblib; -1 = every core
    if n_jobs is not None:
        return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    return int(launcher.get("array_parallelism") or 1)  # submitit (SLURM, local)


def is_grid_sampler(sampler: Any) -> bool:
    """``hydra/sweeper/sampler=grid``: Optuna's GridSampler, which needs the space to be built."""
    return isinstance(sampler, functools.partial) and sampler.func is optuna.samplers.GridSampler


class MobisweepSweeperImpl(Sweeper):
    def __init__(self, sampler: Any, direction: Any, storage: str | None, study_name: str | None,
                 n_trials: int, n_jobs: int | None, grid: bool, max_retries: int,
                 heartbeat_interval: int, grace_period: int | None, wait_for_running: bool,
                 params: dict[str, Any] | None, pruner: Any = None, hook: Any = None,
                 max_failure_rate: float | None = None, custom_search_space: str | None = None
                 ) -> None:
        # Hydra instantiates nested _target_ nodes first: ``sampler`` arrives as an Optuna sampler
        # (or, for ``grid``, a partial of one), ``pruner`` as an Optuna pruner, ``hook`` as the
        # app's SweepHook.
        self.sampler, self.pruner = sampler, pruner
        self.hook = hook if isinstance(hook, SweepHook) else SweepHook()
        self.max_failure_rate = max_failure_rate
        self.custom_search_space = custom_search_space
        self.directions = [direction] if isinstance(direction, str) else list(direction)
        self.storage, self.study_name = storage, study_name
        self.n_trials, self.n_jobs, self.max_retries = n_trials, n_jobs, max_retries
        # Every combination exactly once, also across restarts and workers (mobisweep's own grid
        # stands in for GridSampler, which would stop the study and fail on queued trials).
        self.grid = grid or is_grid_sampler(sampler)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period or 2 * heartbeat_interval
        self.wait_for_running = wait_for_running
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.params = dict(params or {})

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function)
        self.sweep_dir = Path(str(config.hydra.sweep.dir))
        if self.n_jobs is None:
            self.n_jobs = launcher_parallelism(config.hydra.launcher)
        self._compose = TrialComposer(
            lambda overrides: hydra_context.config_loader.load_sweep_config(config, overrides))

    def sweep(self, arguments: list[str]) -> Any:
        with config_errors_exit():
            return self._sweep(arguments)

    def _sweep(self, arguments: list[str]) -> Any:
        """Run the sweep; a replay returns what it found (``mobisweep.replay.outcome.Outcome``)."""
        # Set by setup(), which Hydra calls first.
        assert self.config is not None and self.launcher is not None and self.n_jobs is not None
        space = parse_search_space(self.params, arguments)
        check_no_password(self.storage)
        if self.max_failure_rate is not None and not 0 <= self.max_failure_rate <= 1:
            raise ConfigError("hydra.sweeper.max_failure_rate", self.max_failure_rate,
                              "must be between 0 and 1 (or null: never stop)")
        extend_space = self._search_space_extender()
        objectives = list(self.config.objectives) if self.config.get("objectives") else None
        check_arguments(self.config, space, self.directions,
                        heartbeat_interval=self.heartbeat_interval, grace_period=self.grace_period,
                        max_retries=self.max_retries, n_trials=self.n_trials, n_jobs=self.n_jobs,
                        grid=self.grid, pruner=self.pruner,
                        # Replayed trials report to the study in this process: any storage serves.
                        storage=self.storage or (":memory:" if hasattr(self.launcher, "simulator")
                                                 else None))
        node = OmegaConf.select(self.config, "sweep.budget")
        budget = Budget.from_config(
            cast(dict[str, Any], OmegaConf.to_container(node)) if node is not None else None)
        study_name = self.study_name or "mobisweep"
        points = space.grid() if self.grid else space.probes()
        checked = check_points(self._trial_config, space, points, self.hook, study_name)
        # An app's training stack is imported only now, once the arguments and every point's
        # values have passed: a refused sweep exits in about a second.
        costs = self._costs()
        costs.check(checked)
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        storage = open_storage(self.storage, self.heartbeat_interval, self.grace_period)
        study = open_study(study_name, storage, self.directions, self._sampler(), space,
                           objectives, url=self.storage,
                           pruner=self.pruner if isinstance(self.pruner, BasePruner) else None)
        total = len(space.grid()) if self.grid else self.n_trials
        # A replay launcher (mobisweep.replay) runs the trials on a simulated clock from a recorded
        # table, whose costs stand in for the counted ones; any other launcher runs them for real.
        replay = getattr(self.launcher, "simulator", None)
        slots = replay(study, objectives, self.pruner, self.n_jobs) \
            if replay else Slots(self.launcher, self.n_jobs)
        output_console().print(f"study [bold]{study_name}[/] ({masked(self.storage)}): "
                        f"{'grid of ' if self.grid else ''}{total} trials, "
                        f"{dict((s.name, n) for s, n in count_states(study).items())} already; "
                        f"worker {self.worker}, {slots.size} {'simulated ' if replay else ''}"
                        f"slot{'s' if slots.size > 1 else ''}")
        settings = LoopSettings(grid=self.grid, n_trials=self.n_trials,
                                max_retries=self.max_retries,
                                heartbeat_interval=self.heartbeat_interval,
                                grace_period=self.grace_period,
                                wait_for_running=self.wait_for_running,
                                max_failure_rate=self.max_failure_rate)
        with Heartbeat(study, self.heartbeat_interval) as heartbeat:
            SweepLoop(study=study, storage=storage, storage_url=self.storage,
                      study_name=study_name, space=space, settings=settings, slots=slots,
                      recorder=Recorder(study, len(self.directions), self.hook),
                      heartbeat=heartbeat, hook=self.hook, extend_space=extend_space,
                      compose=self._trial_config, costs=costs, budget=budget,
                      sweep_dir=self.sweep_dir, worker=self.worker,
                      # Only where dead workers can be told from live ones is it worth waiting.
                      detects_dead=detects_dead_workers(storage),
                      order=self._order(space, checked, costs)).run()
        if replay:
            return cast(Any, self.launcher).finish(study, self.sweep_dir)  # the replay launcher
        write_optimization_results(study, self.sweep_dir)
        self.hook.finish(study, objectives, self.sweep_dir, self.config)
        return None

    def _order(self, space: SearchSpace, checked: list[tuple[dict[str, Any], DictConfig]],
               costs: Any) -> list[dict[str, Any]] | None:
        """The grid in the order the stopping rule asks for (e.g. cheapest first), if any."""
        if not self.grid or not isinstance(self.pruner, KnownCostRule):
            return None
        points = [point for point, _ in checked]
        order = self.pruner.order(points, [costs.of(point, cfg) for point, cfg in checked])
        if order is None:
            return None
        # Past the points checked up front (MAX_CHECKED_POINTS), the rest as written.
        return [points[i] for i in order] + space.grid()[len(points):]

    def _costs(self) -> PointFigures:
        """Where the figures known before training come from: the replayed table, or the hook."""
        table_costs = getattr(self.launcher, "table_costs", None)
        if table_costs is not None:
            return table_costs()
        return self.hook.point_figures()

    def _search_space_extender(self) -> Any:
        """Hydra's ``custom_search_space``: a function ``(config, trial)`` that suggests more."""
        if not self.custom_search_space:
            return None
        try:
            extend = get_method(self.custom_search_space)
        except Exception as error:  # noqa: BLE001 - Hydra wraps the import's own error
            raise ConfigError("hydra.sweeper.custom_search_space", self.custom_search_space,
                              f"names no function: {error}".splitlines()[0]) from None
        return lambda trial: extend(self.config, trial)

    def _sampler(self) -> optuna.samplers.BaseSampler:
        if self.grid:
            # Every grid trial is queued with its point, so no sampler is consulted. (Optuna's
            # GridSampler would stop the study, and fail on queued trials that it did not sample.)
            return optuna.samplers.RandomSampler(seed=0)
        if isinstance(self.sampler, optuna.samplers.BaseSampler):
            return self.sampler
        return instantiate(self.sampler)

    def _trial_config(self, overrides: list[str]) -> DictConfig:
        cfg = self._compose(overrides)
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(self.sweep_dir)
        return cfg
