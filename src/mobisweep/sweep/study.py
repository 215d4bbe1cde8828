"""Opening a study and keeping a grid's bookkeeping: every combination once, finished or retried."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from mobisweep.errors import ConfigError
from mobisweep.sweep.space import SearchSpace

SPACE_ATTR = "mobisweep:search_space"
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)  # PRUNED: over budget, never trained


def describe_space(space: SearchSpace) -> str:
    """A stable text form of the search space, stored with the study to refuse a changed one."""
    dists = {name: optuna.distributions.distribution_to_json(d)
             for name, d in sorted(space.distributions.items())}
    return json.dumps({"params": dists, "fixed": dict(sorted(space.fixed.items()))}, sort_keys=True)


def open_study(study_name: str, storage: str | None, directions: Sequence[str],
               sampler: optuna.samplers.BaseSampler, space: SearchSpace,
               objectives: Sequence[str]) -> optuna.Study:
    """Create the study, or load it to resume; refuse one whose directions or space differ."""
    if storage and storage.startswith("sqlite:///"):
        Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        study = optuna.create_study(study_name=study_name, storage=storage, sampler=sampler,
                                    directions=list(directions), load_if_exists=True)
    except (ValueError, ImportError) as error:
        raise ConfigError("hydra.sweeper.storage", storage, str(error).splitlines()[0]) from None
    stored = [d.name.lower() for d in study.directions]
    if stored != list(directions):
        raise ConfigError("hydra.sweeper.direction", list(directions),
                          f"study {study_name!r} in this storage was created with {stored}")
    if study.metric_names is None:  # optuna-dashboard then names its axes val/acc1, ...
        study.set_metric_names(list(objectives))
    described = describe_space(space)
    previous = study.user_attrs.get(SPACE_ATTR)
    if previous is None:
        study.set_user_attr(SPACE_ATTR, described)
    elif previous != described:
        raise ConfigError("hydra.sweeper.params", _short(space),
                          f"study {study_name!r} was created with another search space: "
                          f"{_short_json(previous)}; use a new study_name")
    return study


def _short(space: SearchSpace) -> str:
    return ", ".join([*space.distributions, *(f"{k}={v}" for k, v in space.fixed.items())])


def _short_json(described: str) -> str:
    data = json.loads(described)
    return ", ".join([*data["params"], *(f"{k}={v}" for k, v in data["fixed"].items())])


def point_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def enqueue_grid(study: optuna.Study, space: SearchSpace, max_retries: int) -> int:
    """Enqueue each grid point that is neither finished, queued, running, nor out of retries.

    Returns how many points are still to run (queued or running).
    """
    trials = study.get_trials(deepcopy=False)
    finished = {point_key(t.params) for t in trials if t.state in FINISHED}
    pending = {point_key(t.params) for t in trials if t.state == TrialState.RUNNING}
    pending |= {point_key(t.system_attrs.get("fixed_params", {})) for t in trials
                if t.state == TrialState.WAITING}
    failures = Counter(point_key(t.params) for t in trials if t.state == TrialState.FAIL)
    for point in space.grid():
        key = point_key(point)
        if key in finished or key in pending or failures[key] > max_retries:
            continue
        study.enqueue_trial(point)
        pending.add(key)
    return len(pending)


def count_states(study: optuna.Study) -> Counter[TrialState]:
    return Counter(t.state for t in study.get_trials(deepcopy=False))
