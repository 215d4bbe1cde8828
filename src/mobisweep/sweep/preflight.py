"""Before a study is opened: the sweeper's own arguments, then every point's config, model and data.

A value the sweeper, the model or the data refuse stops the sweep here, with nothing asked, run or
left RUNNING. Each point's model is built and counted once; the budget reuses those counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mobisweep.config import instantiate_node
from mobisweep.errors import ConfigError
from mobisweep.latency import measure_latencies
from mobisweep.sweep.cost_aware import CostAwarePruner
from mobisweep.sweep.space import SearchSpace
from mobisweep.sweep.study import point_key
from mobisweep.trial import assemble, preflight

MAX_CHECKED_POINTS = 256  # larger grids: the first 256 points are checked up front
# Data settings that do not change what is read from disk: each data set is read once.
NOT_READ = ("rho", "resolution", "base_resolution", "batch_size", "seed")


def check_arguments(config: DictConfig, space: SearchSpace, directions: Sequence[str], *,
                    heartbeat_interval: int, grace_period: int, max_retries: int, n_trials: int,
                    n_jobs: int, grid: bool, pruner: object = None,
                    storage: str | None = None) -> None:
    """The sweeper's settings agree with each other and with the config they sweep."""
    if pruner is not None and len(directions) != 1 and not isinstance(pruner, CostAwarePruner):
        raise ConfigError("hydra.sweeper.pruner", type(pruner).__name__,
                          f"Optuna's pruners take one objective; this study has {len(directions)} "
                          f"(mobisweep.sweep.cost_aware.CostAwarePruner takes several)")
    if isinstance(pruner, CostAwarePruner) and len(directions) == 1:
        raise ConfigError("hydra.sweeper.pruner", type(pruner).__name__,
                          "compares trials by their costs: a study of one objective has none")
    if pruner is not None and not storage:
        raise ConfigError("hydra.sweeper.pruner", type(pruner).__name__,
                          "needs hydra.sweeper.storage: each trial reports to the study through it")
    objectives = list(config.get("objectives") or [])
    if len(objectives) != len(directions):
        raise ConfigError("hydra.sweeper.direction", list(directions),
                          f"one direction per objective: objectives={objectives}")
    for direction in directions:
        if direction not in ("maximize", "minimize"):
            raise ConfigError("hydra.sweeper.direction", direction, "must be maximize or minimize")
    for name in [*space.distributions, *space.fixed]:
        plain = name.lstrip("+~")
        if plain.startswith("hydra.") or name.startswith("+"):
            continue
        # A config group with no default (``baseline: null``) is no key yet, but a choice.
        groups = OmegaConf.select(config, "hydra.runtime.choices", default=None) or {}
        if plain not in groups and OmegaConf.select(config, plain, default="<missing>") == "<missing>":
            raise ConfigError(f"hydra.sweeper.params.{name}", None,
                              "names no key of the config (add it with a leading +)")
    if heartbeat_interval < 1 or grace_period <= heartbeat_interval:
        raise ConfigError("hydra.sweeper.grace_period", grace_period,
                          f"must exceed heartbeat_interval={heartbeat_interval} (>= 1 s)")
    if max_retries < 0:
        raise ConfigError("hydra.sweeper.max_retries", max_retries, "must be >= 0")
    if n_trials < 1 or n_jobs < 1:
        raise ConfigError("hydra.sweeper.n_trials" if n_trials < 1 else "hydra.sweeper.n_jobs",
                          min(n_trials, n_jobs), "must be >= 1")
    if grid and not space.distributions:
        raise ConfigError("hydra.sweeper.params", {}, "a grid sweep needs choice(...) params")


class PointCosts:
    """Each point's config assembled once: refused up front, its cost kept for the budget."""

    def __init__(self, compose: Callable[[list[str]], DictConfig], space: SearchSpace) -> None:
        self.compose, self.space = compose, space
        self.costs: dict[str, dict[str, float]] = {}
        self.latencies: dict[str, dict[str, Any]] = {}

    def check(self, points: Sequence[dict[str, Any]]) -> None:
        """Assemble every point (a free search: every bound and choice) and read each data set."""
        read: set[str] = set()
        for point in points[:MAX_CHECKED_POINTS]:
            cfg = self.compose([*self.space.overrides(point), "trial_number=0"])
            self.costs[point_key(point)] = preflight(cfg).metrics()  # shapes only: no weights
            datamodule = instantiate_node(cfg.data, field="data")  # every point's data settings
            trainer = str(sorted((k, str(v)) for k, v in cfg.trainer.items()))
            if trainer not in read:  # each trainer setting once: a library's refusal, here
                logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
                instantiate_node(cfg.trainer, field="trainer", logger=False, callbacks=[],
                                 enable_checkpointing=False)
                read.add(trainer)
            data = str(sorted((k, str(v)) for k, v in cfg.data.items() if k not in NOT_READ))
            if data not in read and hasattr(datamodule, "check"):
                datamodule.check()  # each data set once: reading may take a while
                read.add(data)

    def of(self, point: dict[str, Any], cfg: DictConfig, latency: bool = False) -> dict[str, float]:
        """The cost figures of ``point`` (composed as ``cfg``): counted in the check, or now; with
        ``latency``, its measured latency too (before any training)."""
        key = point_key(point)
        if latency and key not in self.latencies:
            if not cfg.latency.enabled:
                raise ConfigError("latency.enabled", False, "a latency budget needs latency measured")
            trial = assemble(cfg)  # the model is needed: build and count it once, here
            self.costs[key] = trial.cost.metrics()
            self.latencies[key] = measure_latencies(trial.model, cfg)
        if key not in self.costs:
            self.costs[key] = preflight(cfg).metrics()
        return {**self.costs[key], **(self.latencies.get(key, {}) if latency else {})}
