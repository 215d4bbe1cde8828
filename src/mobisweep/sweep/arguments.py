"""Before a study is opened: the sweeper's own arguments, then every point as the app's hook
checks it (``mobisweep.sweep.hook``; mobisweep's refuses a MobileNet point before torch loads).

A refusal here costs the start-up of Hydra and Optuna alone (about a second).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.cost_aware import KnownCostRule
from mobisweep.sweep.hook import SweepHook
from mobisweep.sweep.space import SearchSpace

MAX_CHECKED_POINTS = 256  # larger grids: the first 256 points are checked up front


def check_arguments(config: DictConfig, space: SearchSpace, directions: Sequence[str], *,
                    heartbeat_interval: int, grace_period: int, max_retries: int, n_trials: int,
                    n_jobs: int, grid: bool, pruner: object = None,
                    storage: str | None = None) -> None:
    """The sweeper's settings agree with each other and with the config they sweep."""
    if pruner is not None and len(directions) != 1 and not isinstance(pruner, KnownCostRule):
        raise ConfigError("hydra.sweeper.pruner", type(pruner).__name__,
                          f"Optuna's pruners take one objective; this study has {len(directions)} "
                          "(mobisweep's known-cost rules take several: cost_aware, pareto_halving)")
    if isinstance(pruner, KnownCostRule) and len(directions) == 1:
        raise ConfigError("hydra.sweeper.pruner", type(pruner).__name__,
                          "compares trials by their costs: a study of one objective has none")
    if pruner is not None and not storage:
        raise ConfigError("hydra.sweeper.pruner", type(pruner).__name__,
                          "needs hydra.sweeper.storage: each trial reports to the study through it")
    # An app that names its objectives (mobisweep's ``objectives``) gets one direction for each;
    # any other returns as many values as there are directions.
    objectives = list(config.get("objectives") or [])
    if objectives and len(objectives) != len(directions):
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
        if (
            plain not in groups
            and OmegaConf.select(config, plain, default="<missing>") == "<missing>"
        ):
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


def check_points(compose: Callable[[list[str]], DictConfig], space: SearchSpace,
                 points: Sequence[dict[str, Any]], hook: SweepHook, study_name: str
                 ) -> list[tuple[dict[str, Any], DictConfig]]:
    """Every point composed as its trial will be, and checked by the hook; returns each checked
    point with its composed config (the hook's ``PointFigures.check`` goes on from them)."""
    checked = []
    for point in points[:MAX_CHECKED_POINTS]:
        cfg = compose([*space.overrides(point), *hook.trial_overrides(
            trial_number=0, study_name=study_name, storage_url=None)])
        hook.check_point(cfg)
        checked.append((point, cfg))
    return checked
