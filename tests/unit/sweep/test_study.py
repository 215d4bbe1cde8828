"""Claims and retries (``mobisweep.sweep.study``) on a real in-memory study, no process started."""

from __future__ import annotations

from optuna.trial import TrialState

from mobisweep.sweep.space import parse_search_space
from mobisweep.sweep.study import claim_trials, point_key, queue_retries, trial_point
from mobisweep.sweep.trial_attrs import FAILURES, INTERRUPTED, REFUSED, RETRY_OF

from .helpers import GRID, memory_study

ONE_POINT = parse_search_space({"x": "choice(1)", "y": "choice(a)"})


def claim(study, n_jobs, grid=True, n_trials=6, max_retries=1, order=None, space=GRID):
    return claim_trials(study, space, grid=grid, n_trials=n_trials, n_jobs=n_jobs,
                        max_retries=max_retries, order=order)


def test_a_grid_is_claimed_once_whatever_the_number_of_claims() -> None:
    study = memory_study()
    first = claim(study, 4)
    assert len(first.trials) == 4 and first.running_elsewhere == 0
    second = claim(study, 4)  # another worker: only what is left, while the first four still run
    assert len(second.trials) == 2 and second.running_elsewhere == 4
    points = [point_key(t.params) for t in first.trials + second.trials]
    assert sorted(points) == sorted(point_key(p) for p in GRID.grid())
    for trial in first.trials + second.trials:
        study.tell(trial, 1.0)
    assert claim(study, 4).trials == []  # the grid is done: a rerun claims nothing


def test_a_grid_follows_the_order_it_is_given() -> None:
    order = list(reversed(GRID.grid()))
    trials = claim(memory_study(), 6, order=order).trials
    assert [t.params for t in trials] == order


def test_a_free_search_claims_up_to_n_trials_in_all() -> None:
    study = memory_study()
    space = parse_search_space({"x": "interval(0.0, 1.0)"})
    taken = claim_trials(study, space, grid=False, n_trials=3, n_jobs=2, max_retries=0).trials
    assert len(taken) == 2
    taken += claim_trials(study, space, grid=False, n_trials=3, n_jobs=2, max_retries=0).trials
    assert len(taken) == 3 and all(0 <= t.params["x"] <= 1 for t in taken)


def test_a_failed_point_is_retried_with_its_params_until_max_retries() -> None:
    study = memory_study()
    (trial,) = claim(study, 1, max_retries=2, space=ONE_POINT).trials
    for attempt in range(1, 4):
        study.tell(trial, state=TrialState.FAIL)
        previous = trial.number
        claimed = claim(study, 1, max_retries=2, space=ONE_POINT).trials
        if attempt == 3:  # failed three times: out of retries, nothing is left
            assert claimed == []
            break
        (trial,) = claimed
        assert trial_point(trial) == {"x": 1, "y": "a"}
        assert trial.user_attrs[RETRY_OF] == previous
        assert trial.user_attrs[FAILURES] == attempt


def test_an_interrupted_trial_is_resumed_without_counting_a_failure() -> None:
    study = memory_study()
    (trial,) = claim(study, 1, max_retries=0, space=ONE_POINT).trials
    trial.set_user_attr(INTERRUPTED, True)
    study.tell(trial, state=TrialState.FAIL)
    queue_retries(study, study.get_trials(deepcopy=False), max_retries=0, taken=set())
    queued = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    assert len(queued) == 1 and queued[0].user_attrs[FAILURES] == 0


def test_a_refused_trial_is_never_retried() -> None:
    study = memory_study()
    (trial,) = claim(study, 1, space=ONE_POINT).trials
    trial.set_user_attr(REFUSED, True)
    study.tell(trial, state=TrialState.FAIL)
    queue_retries(study, study.get_trials(deepcopy=False), max_retries=5, taken=set())
    assert not study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
