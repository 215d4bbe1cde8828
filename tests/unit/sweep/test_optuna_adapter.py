"""The experimental Optuna APIs mobisweep relies on, pinned: each still does what mobisweep needs,
and none of Optuna's ExperimentalWarnings reaches a user through mobisweep's calls."""

from __future__ import annotations

import time
import warnings

import optuna
from optuna.trial import TrialState

from mobisweep.sweep.space import parse_search_space
from mobisweep.sweep.storage import open_storage
from mobisweep.sweep.study import open_study
from mobisweep.sweep.workers import fail_stale_trials


def test_the_study_names_its_metrics_for_optuna_dashboard_quietly(tmp_path):
    # Study.set_metric_names: experimental since Optuna 3.2.
    url = f"sqlite:///{tmp_path / 'names.db'}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = open_study("names", url, ["maximize", "minimize"],
                           optuna.samplers.RandomSampler(seed=0),
                           parse_search_space({}, ["model.alpha=0.5,0.25"]),
                           ["val/acc1", "cost/mult_adds_M"])
    assert study.metric_names == ["val/acc1", "cost/mult_adds_M"]
    assert not [w for w in caught if issubclass(w.category, optuna.exceptions.ExperimentalWarning)]
    again = optuna.load_study(study_name="names", storage=url)  # stored, as the dashboard reads it
    assert again.metric_names == ["val/acc1", "cost/mult_adds_M"]


def test_a_dead_workers_trial_is_failed_by_optunas_heartbeat_quietly(tmp_path):
    # optuna.storages.fail_stale_trials and RDB heartbeats: experimental since Optuna 2.9.
    storage = open_storage(f"sqlite:///{tmp_path / 'beat.db'}", heartbeat_interval=1,
                           grace_period=2)
    study = optuna.create_study(study_name="beat", storage=storage)
    with warnings.catch_warnings():  # Optuna's notice that heartbeats are for Study.optimize
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
        trial = study.ask()  # RUNNING; its worker records one beat and then "dies"
    storage.record_heartbeat(trial._trial_id)
    time.sleep(3)  # past the grace period of 2 s
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        failed = fail_stale_trials(study, grace_period=2)
    assert failed == [trial.number]
    assert study.get_trials()[0].state == TrialState.FAIL
    assert not [w for w in caught if issubclass(w.category, optuna.exceptions.ExperimentalWarning)]
