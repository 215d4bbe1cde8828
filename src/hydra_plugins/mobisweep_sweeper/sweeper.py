"""A Hydra Sweeper over Optuna's ask/tell API (Optuna >= 4).

One loop: ask the study for trials, check each against the budget (cost needs no training), launch
the rest through Hydra's launcher with their trial number, tell the study what came back (a raised
error or a NaN objective is a FAIL with its message), and at the end summarize the study.
"""

from __future__ import annotations

import logging
import math
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
from mobisweep.errors import ConfigError
from mobisweep.models.factory import build_model_with_cost
from mobisweep.report import write_report
from mobisweep.sweep.space import SearchSpace, parse_search_space
from mobisweep.sweep.study import count_states, enqueue_grid, open_study
from mobisweep.sweep.summary import log_to_wandb, print_summary, summarize_study, write_trials_csv
from mobisweep.tracking import wandb_mode

log = logging.getLogger(__name__)
BUDGETS = {"mult_adds_M": "cost/mult_adds_M", "params_M": "cost/params_M"}


class MobisweepSweeper(Sweeper):
    def __init__(self, sampler: Any, direction: Any, storage: str | None, study_name: str | None,
                 n_trials: int, n_jobs: int, grid: bool, max_retries: int,
                 params: dict[str, Any] | None) -> None:
        # Hydra instantiates nested _target_ nodes first: ``sampler`` arrives as an Optuna sampler.
        self.sampler = sampler
        self.directions = [direction] if isinstance(direction, str) else list(direction)
        self.storage, self.study_name = storage, study_name
        self.n_trials, self.n_jobs, self.max_retries = n_trials, n_jobs, max_retries
        self.grid = grid
        self.params = dict(params or {})
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function)
        self.sweep_dir = Path(str(config.hydra.sweep.dir))

    def sweep(self, arguments: list[str]) -> None:
        with config_errors_exit():
            self._sweep(arguments)

    # -- checks before any trial runs ---------------------------------------------------------

    def _check(self, space: SearchSpace) -> dict[str, float]:
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

    def _sampler(self, space: SearchSpace) -> optuna.samplers.BaseSampler:
        if self.grid:  # every trial is enqueued; the grid sampler only records the space
            return optuna.samplers.GridSampler(
                {name: [p[name] for p in space.grid()] for name in space.distributions})
        if isinstance(self.sampler, optuna.samplers.BaseSampler):
            return self.sampler
        return instantiate(self.sampler)

    # -- the loop -------------------------------------------------------------------------------

    def _sweep(self, arguments: list[str]) -> None:
        space = parse_search_space(self.params, arguments)
        budget = self._check(space)
        if self.grid and not space.distributions:
            raise ConfigError("hydra.sweeper.params", {}, "a grid sweep needs choice(...) params")
        study_name = self.study_name or "mobisweep"
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        study = open_study(study_name, self.storage, self.directions, self._sampler(space), space,
                           list(self.config.objectives))
        console = Console()
        total = len(space.grid()) if self.grid else self.n_trials
        console.print(f"study [bold]{study_name}[/] ({self.storage or 'in memory'}): "
                      f"{'grid of ' if self.grid else ''}{total} trials, "
                      f"{dict((s.name, n) for s, n in count_states(study).items())} already")
        attempts = 0
        while True:
            if self.grid:
                waiting = enqueue_grid(study, space, self.max_retries)
                batch = min(self.n_jobs, waiting)
            else:
                states = count_states(study)
                finished = states[TrialState.COMPLETE] + states[TrialState.PRUNED]
                batch = min(self.n_jobs, self.n_trials - finished - states[TrialState.RUNNING])
                if attempts >= self.n_trials * (1 + self.max_retries):
                    log.warning("stopping: %d trials attempted in this run", attempts)
                    batch = 0
            if batch <= 0:
                break
            trials = [study.ask() for _ in range(batch)]
            attempts += batch
            self._run_batch(study, space, trials, budget, study_name)
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
                         f"study_name={study_name}"]
            trial.set_user_attr("overrides", overrides)
            try:
                over = self._over_budget(overrides, budget, trial)
            except ConfigError as error:  # a value the model refuses: record it, go on
                trial.set_user_attr("error", str(error))
                study.tell(trial, state=TrialState.FAIL)
                log.warning("trial %d refused: %s", trial.number, error)
                continue
            if over:
                trial.set_user_attr("skipped", over)
                study.tell(trial, state=TrialState.PRUNED)
                log.info("trial %d skipped: %s", trial.number, over)
                continue
            launch.append((trial, overrides))
        if not launch:
            return
        returns = self.launcher.launch([o for _, o in launch], initial_job_idx=self.job_idx)
        self.job_idx += len(returns)
        for (trial, _), ret in zip(launch, returns):
            self._tell(study, trial, ret)

    def _over_budget(self, overrides: list[str], budget: dict[str, float],
                     trial: optuna.Trial) -> str | None:
        """Mult-adds and params of the trial's model, from its config alone; the reason if over."""
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(self.sweep_dir)
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
