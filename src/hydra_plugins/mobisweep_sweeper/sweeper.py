"""A Hydra Sweeper over Optuna's ask/tell API (Optuna >= 4).

One loop: under the study lock, fail the trials of dead workers and claim trials (queued retries and
grid points first); check each against the budget (cost needs no training); launch the rest through
Hydra's launcher with their trial number while a heartbeat keeps them alive in the storage; tell the
study what came back (a raised error or a NaN objective is a FAIL with its message, Ctrl-C a FAIL
marked interrupted). At the end, summarize the study. Any number of workers may run this loop on one
storage at the same time.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict
from optuna.trial import TrialState
from rich.console import Console

from mobisweep.cli import config_errors_exit
from mobisweep.config import instantiate_node
from mobisweep.errors import ConfigError
from mobisweep.models.factory import build_model_with_cost
from mobisweep.report import write_report
from mobisweep.run import last_checkpoint
from mobisweep.sweep.space import SearchSpace, parse_search_space
from mobisweep.sweep.storage import (
    Heartbeat,
    check_no_password,
    detects_dead_workers,
    fail_stale_trials,
    masked,
    open_storage,
    study_lock,
)
from mobisweep.sweep.study import (
    INTERRUPTED,
    REFUSED,
    RETRY_OF,
    claim_trials,
    count_states,
    open_study,
)
from mobisweep.sweep.summary import log_to_wandb, print_summary, summarize_study, write_trials_csv
from mobisweep.tracking import wandb_mode
from mobisweep.validate import validate_config

log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
BUDGETS = {"mult_adds_M": "cost/mult_adds_M", "params_M": "cost/params_M"}
MAX_CHECKED_POINTS = 256  # larger grids: the first 256 points are checked up front
OUTPUT_DIR = "mobisweep:output_dir"
RESUMED_FROM = "mobisweep:resumed_from"
WORKER = "mobisweep:worker"


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


class MobisweepSweeper(Sweeper):
    def __init__(self, sampler: Any, direction: Any, storage: str | None, study_name: str | None,
                 n_trials: int, n_jobs: int | None, grid: bool, max_retries: int,
                 heartbeat_interval: int, grace_period: int | None, wait_for_running: bool,
                 params: dict[str, Any] | None) -> None:
        # Hydra instantiates nested _target_ nodes first: ``sampler`` arrives as an Optuna sampler.
        self.sampler = sampler
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

    # -- checks before any trial runs ---------------------------------------------------------

    def _check(self, space: SearchSpace) -> dict[str, float]:
        check_no_password(self.storage)
        objectives = list(self.config.get("objectives") or [])
        if len(objectives) != len(self.directions):
            raise ConfigError("hydra.sweeper.direction", self.directions,
                              f"one direction per objective: objectives={objectives}")
        for direction in self.directions:
            if direction not in ("maximize", "minimize"):
                raise ConfigError("hydra.sweeper.direction", direction,
                                  "must be maximize or minimize")
        for name in [*space.distributions, *space.fixed]:
            plain = name.lstrip("+~")
            if plain.startswith("hydra.") or name.startswith("+"):
                continue
            if OmegaConf.select(self.config, plain, default="<missing>") == "<missing>":
                raise ConfigError(f"hydra.sweeper.params.{name}", None,
                                  "names no key of the config (add it with a leading +)")
        if self.heartbeat_interval < 1 or self.grace_period <= self.heartbeat_interval:
            raise ConfigError("hydra.sweeper.grace_period", self.grace_period,
                              f"must exceed heartbeat_interval={self.heartbeat_interval} (>= 1 s)")
        if self.max_retries < 0:
            raise ConfigError("hydra.sweeper.max_retries", self.max_retries, "must be >= 0")
        if self.n_trials < 1 or self.n_jobs < 1:
            raise ConfigError("hydra.sweeper.n_trials" if self.n_trials < 1 else
                              "hydra.sweeper.n_jobs", min(self.n_trials, self.n_jobs), "must be >= 1")
        node = OmegaConf.select(self.config, "sweep.budget")
        budget = OmegaConf.to_container(node) if node is not None else {}
        for key, limit in budget.items():
            if key not in BUDGETS:
                raise ConfigError(f"sweep.budget.{key}", limit, f"budgets: {', '.join(BUDGETS)}")
            if limit is not None and (not isinstance(limit, (int, float)) or limit <= 0):
                raise ConfigError(f"sweep.budget.{key}", limit, "must be a number > 0")
        return {k: float(v) for k, v in budget.items() if v is not None}

    def _check_points(self, space: SearchSpace) -> None:
        """Build and count the model of every grid point (a free search: of every bound and
        choice) and read the data set once, before the study is opened: a value the model or the
        data refuse stops the sweep here, with nothing asked, run or left RUNNING."""
        points = space.grid() if self.grid else space.probes()
        read: set[str] = set()
        for point in points[:MAX_CHECKED_POINTS]:
            cfg = self._trial_config([*space.overrides(point), "trial_number=0"])
            validate_config(cfg)
            build_model_with_cost(cfg)
            datamodule = instantiate_node(cfg.data)  # every point's data settings
            # Resolution, batch size and seed do not change what is read from disk.
            data = str(sorted((k, str(v)) for k, v in cfg.data.items() if k not in
                              ("rho", "resolution", "base_resolution", "batch_size", "seed")))
            if data not in read and hasattr(datamodule, "check"):
                datamodule.check()  # each data set once: reading may take a while
                read.add(data)

    def _sampler(self, space: SearchSpace) -> optuna.samplers.BaseSampler:
        if self.grid:
            # Every grid trial is queued with its point, so no sampler is consulted. (Optuna's
            # GridSampler would stop the study, and fail on queued trials that it did not sample.)
            return optuna.samplers.RandomSampler(seed=0)
        if isinstance(self.sampler, optuna.samplers.BaseSampler):
            return self.sampler
        return instantiate(self.sampler)

    # -- the loop -------------------------------------------------------------------------------

    def _sweep(self, arguments: list[str]) -> None:
        space = parse_search_space(self.params, arguments)
        budget = self._check(space)
        if self.grid and not space.distributions:
            raise ConfigError("hydra.sweeper.params", {}, "a grid sweep needs choice(...) params")
        self._check_points(space)
        study_name = self.study_name or "mobisweep"
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        storage = open_storage(self.storage, self.heartbeat_interval, self.grace_period)
        study = open_study(study_name, storage, self.directions, self._sampler(space), space,
                           list(self.config.objectives), url=self.storage)
        console = Console()
        total = len(space.grid()) if self.grid else self.n_trials
        console.print(f"study [bold]{study_name}[/] ({masked(self.storage)}): "
                      f"{'grid of ' if self.grid else ''}{total} trials, "
                      f"{dict((s.name, n) for s, n in count_states(study).items())} already; "
                      f"worker {self.worker}")
        # Only where dead workers can be told from live ones is it worth waiting for them.
        detects_dead = detects_dead_workers(storage)
        while True:
            with study_lock(storage, self.storage, study_name):
                for number in fail_stale_trials(study, self.grace_period):
                    log.warning("trial %d: its worker stopped beating; marked FAIL", number)
                claim = claim_trials(study, space, grid=self.grid, n_trials=self.n_trials,
                                     n_jobs=self.n_jobs, max_retries=self.max_retries)
            if claim.trials:
                self._run_batch(study, space, claim.trials, budget, study_name)
            elif claim.running_elsewhere and detects_dead and self.wait_for_running:
                time.sleep(min(self.heartbeat_interval, 5))
            else:
                break
        summary = summarize_study(study, list(self.config.objectives))
        print_summary(summary, console)
        csv_path = write_trials_csv(summary, self.sweep_dir / "trials.csv")
        report = write_report(summary, self.sweep_dir)[0]
        console.print(f"trials: {csv_path}\nreport: {report} (and PNGs beside it)")
        self._log_summary(summary)

    def _run_batch(self, study: optuna.Study, space: SearchSpace, trials: Sequence[optuna.Trial],
                   budget: dict[str, float], study_name: str) -> None:
        launch: list[tuple[optuna.Trial, list[str]]] = []
        for trial in trials:
            params = space.suggest(trial)
            overrides = [*space.overrides(params), f"trial_number={trial.number}",
                         f"study_name={quoted(study_name)}"]
            trial.set_user_attr(WORKER, self.worker)
            try:
                cfg = self._trial_config(overrides)
                over = self._over_budget(cfg, budget, trial)
            except Exception as error:  # noqa: BLE001 - a value refused, an override Hydra cannot
                # parse: record it and go on; a claimed trial is never left RUNNING
                trial.set_user_attr("error", f"{type(error).__name__}: {error}"[:1000]
                                    if not isinstance(error, ConfigError) else str(error))
                trial.set_user_attr(REFUSED, True)
                study.tell(trial, state=TrialState.FAIL)
                log.warning("trial %d refused: %s", trial.number, error)
                continue
            if over:
                trial.set_user_attr("skipped", over)
                study.tell(trial, state=TrialState.PRUNED)
                log.info("trial %d skipped: %s", trial.number, over)
                continue
            trial.set_user_attr(OUTPUT_DIR, str((self.sweep_dir / str(cfg.hydra.sweep.subdir))
                                                .resolve()))
            checkpoint = self._resume_checkpoint(study, trial)
            if checkpoint:
                trial.set_user_attr(RESUMED_FROM, checkpoint)
                overrides.append(f"ckpt_path={quoted(checkpoint)}")
                log.info("trial %d resumes from %s", trial.number, checkpoint)
            trial.set_user_attr("overrides", overrides)
            launch.append((trial, overrides))
        if not launch:
            return
        told: set[int] = set()
        with Heartbeat(study, self.heartbeat_interval) as heartbeat:
            for trial, _ in launch:
                heartbeat.add(trial._trial_id)
            try:
                returns = self.launcher.launch([o for _, o in launch],
                                               initial_job_idx=self.job_idx)
                self.job_idx += len(returns)
                for (trial, _), ret in zip(launch, returns):
                    self._tell(study, trial, ret)
                    told.add(trial.number)
            except BaseException as error:  # Ctrl-C, SystemExit, a launcher's own failure
                for trial, _ in launch:
                    if trial.number not in told:
                        self._abandon(study, trial, error)
                raise

    def _abandon(self, study: optuna.Study, trial: optuna.Trial, error: BaseException) -> None:
        """A trial that will not finish here is FAIL, never left RUNNING (and never COMPLETE)."""
        interrupted = isinstance(error, (KeyboardInterrupt, SystemExit))
        try:
            trial.set_user_attr(INTERRUPTED, interrupted)
            trial.set_user_attr("error", f"{type(error).__name__}: {error}"[:1000])
            study.tell(trial, state=TrialState.FAIL)
        except Exception:  # noqa: BLE001 - the storage itself may be what failed
            log.exception("trial %d could not be marked failed", trial.number)
            return
        log.warning("trial %d %s", trial.number,
                    "interrupted: marked FAIL, resumed on the next run" if interrupted
                    else f"abandoned: {type(error).__name__}")

    def _resume_checkpoint(self, study: optuna.Study, trial: optuna.Trial) -> str | None:
        """The last checkpoint of the attempt this trial retries, if that attempt saved one."""
        number = trial.user_attrs.get(RETRY_OF)
        if number is None:
            return None
        previous = study._storage.get_trial(study._storage.get_trial_id_from_study_id_trial_number(
            study._study_id, number))
        output_dir = previous.user_attrs.get(OUTPUT_DIR)
        if output_dir and last_checkpoint(Path(output_dir)).is_file():
            return str(last_checkpoint(Path(output_dir)))
        return previous.user_attrs.get(RESUMED_FROM)

    def _trial_config(self, overrides: list[str]) -> DictConfig:
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(self.sweep_dir)
        return cfg

    def _over_budget(self, cfg: DictConfig, budget: dict[str, float],
                     trial: optuna.Trial) -> str | None:
        """Mult-adds and params of the trial's model, from its config alone; the reason if over."""
        _, cost = build_model_with_cost(cfg)
        figures = {"cost/mult_adds_M": cost.mult_adds_M, "cost/params_M": cost.params_M}
        for key, value in figures.items():
            trial.set_user_attr(key, value)
        for key, limit in budget.items():
            if figures[BUDGETS[key]] > limit:
                return f"over budget: {BUDGETS[key]} {figures[BUDGETS[key]]:.2f} > {limit:g}"
        return None

    def _tell(self, study: optuna.Study, trial: optuna.Trial, ret: Any) -> None:
        output_dir = Path(ret.hydra_cfg.hydra.runtime.output_dir) if ret.hydra_cfg else None
        try:
            value = ret.return_value  # re-raises the job's exception
            values = [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
            if len(values) != len(self.directions):
                raise ValueError(f"the trial returned {len(values)} objectives, "
                                 f"the study has {len(self.directions)}")
            if not all(math.isfinite(v) for v in values):
                raise ValueError(f"non-finite objective {values}")
        except Exception as error:  # noqa: BLE001 - any failure of a trial is recorded, not fatal
            trial.set_user_attr("error", f"{type(error).__name__}: {error}"[:1000])
            study.tell(trial, state=TrialState.FAIL)
            log.warning("trial %d failed: %s: %s", trial.number, type(error).__name__, error)
            return
        if output_dir is not None:
            trial.set_user_attr("result_path", str((output_dir / "result.json").resolve()))
        study.tell(trial, values=values)
        log.info("trial %d: %s", trial.number, values)

    def _log_summary(self, summary: Any) -> None:
        logger_cfg = self.config.get("logger")
        if logger_cfg is None or "mode" not in logger_cfg:
            return
        directory = self.sweep_dir / "summary"
        run_dir = log_to_wandb(summary, project=logger_cfg.get("project", "mobisweep"),
                               mode=wandb_mode(logger_cfg.mode), directory=directory,
                               entity=logger_cfg.get("entity"))
        if run_dir:
            Console().print(f"W&B summary run: {run_dir}")
