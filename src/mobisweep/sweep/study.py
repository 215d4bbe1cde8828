"""Opening a study and keeping a grid's bookkeeping: every combination once, finished or retried."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.optuna_adapter import enqueued_params
from mobisweep.sweep.space import SearchSpace
from mobisweep.sweep.storage import masked, open_storage, scrub
from mobisweep.sweep.trial_attrs import FAILURES, INTERRUPTED, REFUSED, RETRY_OF, SEARCH_SPACE

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)  # PRUNED: over budget, never trained


def describe_space(space: SearchSpace) -> dict[str, dict[str, str]]:
    """The search space as the study keeps it, to refuse a changed one and to be read in
    optuna-dashboard: each parameter's values or range, and the fixed overrides. A choice's order
    does not count (a grid is the same grid in any order)."""
    return {"params": {name: _readable(dist) for name, dist in sorted(space.distributions.items())},
            "fixed": {k: str(v) for k, v in sorted(space.fixed.items())}}


def _readable(dist: optuna.distributions.BaseDistribution | dict[str, Any]) -> str:
    """``choice(0.25, 0.5)`` or ``float(high=1.0, log=False, low=0.1, step=None)``."""
    data = dist if isinstance(dist, dict) else json.loads(
        optuna.distributions.distribution_to_json(dist))
    attrs = data["attributes"]
    if "choices" in attrs:
        return "choice(" + ", ".join(sorted(map(str, attrs["choices"]))) + ")"
    return f"{data['name'].removesuffix('Distribution').lower()}(" + \
        ", ".join(f"{k}={v}" for k, v in sorted(attrs.items())) + ")"


def _described(stored: str | dict[str, Any]) -> dict[str, dict[str, str]]:
    """A stored search space; studies of earlier versions kept it as a JSON string of Optuna's
    distributions."""
    if isinstance(stored, dict):
        return stored
    data = json.loads(stored)
    return {"params": {name: _readable(json.loads(text)) for name, text in data["params"].items()},
            "fixed": {k: str(v) for k, v in data["fixed"].items()}}


def open_study(study_name: str, storage: BaseStorage | str | None, directions: Sequence[str],
               sampler: optuna.samplers.BaseSampler, space: SearchSpace,
               objectives: Sequence[str] | None, url: str | None = None,
               pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """Create the study, or load it to resume; refuse one whose directions or space differ."""
    if isinstance(storage, str):
        url, storage = storage, open_storage(storage)
    try:
        study = optuna.create_study(study_name=study_name, storage=storage, sampler=sampler,
                                    pruner=pruner, directions=list(directions),  # type: ignore[arg-type]
                                    load_if_exists=True)
    except Exception as error:  # noqa: BLE001 - a server that went away, a locked file, ...
        raise ConfigError("hydra.sweeper.storage", masked(url),
                          scrub(str(error).splitlines()[0], url)) from None
    stored = [d.name.lower() for d in study.directions]
    if stored != list(directions):
        raise ConfigError("hydra.sweeper.direction", list(directions),
                          f"study {study_name!r} in this storage was created with {stored}")
    if objectives and study.metric_names is None:  # optuna-dashboard's axes: val/acc1, ...
        with warnings.catch_warnings():  # experimental since Optuna 3.2, and what we need
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(list(objectives))
    described = describe_space(space)
    previous = study.user_attrs.get(SEARCH_SPACE)
    if previous is None:
        study.set_user_attr(SEARCH_SPACE, described)
    else:
        changes = space_changes(previous, described)
        if changes:
            raise ConfigError("hydra.sweeper.params", _short(space),
                              f"study {study_name!r} was created with another search space: "
                              f"{'; '.join(changes)}; use a new study_name")
    return study


def _short(space: SearchSpace) -> str:
    return ", ".join([*space.distributions, *(f"{k}={v}" for k, v in space.fixed.items())])


def space_changes(previous: str | dict[str, Any], current: str | dict[str, Any]) -> list[str]:
    """What differs between two stored search spaces, named parameter by parameter."""
    before, after = _described(previous), _described(current)
    changes = []
    for kind, key in (("", "params"), ("fixed ", "fixed")):
        old, new = before[key], after[key]
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                changes.append(f"{kind}{name} {old.get(name, '(absent)')} -> "
                               f"{new.get(name, '(absent)')}")
    return changes




def point_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def trial_point(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """The parameters of a trial, also of a queued or just-popped one that has suggested none."""
    return trial.params or enqueued_params(trial)


@dataclass
class Claim:
    """What one worker took from the study under the study lock."""

    trials: list[optuna.Trial]
    running_elsewhere: int


def queue_retries(study: optuna.Study, trials: Sequence[optuna.trial.FrozenTrial],
                  max_retries: int, taken: set[str]) -> None:
    """Queue a failed trial again, with the same parameters, at most ``max_retries`` times.

    ``taken``: points already finished, queued or running, which need no retry (grid sweeps).
    """
    retried = {t.user_attrs.get(RETRY_OF) for t in trials}
    for trial in trials:
        if (
            trial.state != TrialState.FAIL
            or trial.number in retried
            or trial.user_attrs.get(REFUSED)
        ):
            continue
        failures = trial.user_attrs.get(FAILURES, 0) + (
            0 if trial.user_attrs.get(INTERRUPTED) else 1
        )
        key = point_key(trial_point(trial))
        if failures > max_retries or key in taken or not trial_point(trial):
            continue
        study.enqueue_trial(trial_point(trial), user_attrs={RETRY_OF: trial.number,
                                                            FAILURES: failures},
                            skip_if_exists=False)
        taken.add(key)


def claim_trials(study: optuna.Study, space: SearchSpace, *, grid: bool, n_trials: int,
                 n_jobs: int, max_retries: int,
                 order: Sequence[dict[str, Any]] | None = None) -> Claim:
    """Queue what is missing, then pop up to ``n_jobs`` trials; call it under the study lock.

    A grid queues every combination that is neither finished, queued, running, nor out of retries;
    a free search asks for new trials until the study holds ``n_trials`` finished, running or
    queued ones (a study-wide total, however many workers share it). ``order``: the grid's points
    in the order to claim them (a stopping rule's, e.g. cheapest first); default as written.
    """
    trials = study.get_trials(deepcopy=False)
    finished = {point_key(trial_point(t)) for t in trials if t.state in FINISHED}
    pending = {point_key(trial_point(t)) for t in trials
               if t.state in (TrialState.RUNNING, TrialState.WAITING)}
    queue_retries(study, trials, max_retries, finished | pending if grid else set())
    if grid:
        attempted = {point_key(trial_point(t)) for t in study.get_trials(deepcopy=False)}
        for point in order if order is not None else space.grid():
            if point_key(point) not in attempted:
                study.enqueue_trial(point, skip_if_exists=False)
    states = count_states(study)
    take = states[TrialState.WAITING]
    if not grid:
        counted = sum(states[s] for s in (*FINISHED, TrialState.RUNNING, TrialState.WAITING))
        fresh = max(0, n_trials - counted)
        # A study whose trials keep failing must still end: at most this many attempts in all.
        fresh = min(fresh, max(0, n_trials * (1 + max_retries) - sum(states.values())))
        take += fresh
    claimed = []
    for _ in range(min(n_jobs, take)):
        with warnings.catch_warnings():
            # Optuna expects heartbeats inside Study.optimize; mobisweep beats for its own ask/tell
            # loop (sweep.workers.Heartbeat), so the notice, once per trial, is not for it.
            warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
            trial = study.ask()
        space.suggest(trial)  # under the lock: no other worker sees a trial without its point
        claimed.append(trial)
    return Claim(claimed, states[TrialState.RUNNING])


def count_states(study: optuna.Study) -> Counter[TrialState]:
    return Counter(t.state for t in study.get_trials(deepcopy=False))
