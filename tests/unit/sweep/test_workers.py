"""Heartbeats and dead workers (``mobisweep.sweep.workers``) on a real journal file."""

from __future__ import annotations

import time

from optuna.trial import TrialState

from mobisweep.sweep.trial_attrs import HEARTBEAT
from mobisweep.sweep.workers import Heartbeat, detects_dead_workers, fail_stale_trials

from .helpers import journal_study


def test_a_silent_trial_is_failed_and_a_beating_one_is_not(tmp_path) -> None:
    study = journal_study(tmp_path / "journal.log")
    assert detects_dead_workers(study._storage)
    silent, beating = study.ask(), study.ask()
    with Heartbeat(study, interval=0.05) as heartbeat:
        heartbeat.add(silent)
        heartbeat.add(beating)
        heartbeat.remove(silent)  # its worker died: no more beats
        time.sleep(0.4)
        assert fail_stale_trials(study, grace_period=0.2) == [silent.number]
    states = {t.number: t.state for t in study.get_trials()}
    assert states == {silent.number: TrialState.FAIL, beating.number: TrialState.RUNNING}
    assert study.get_trials()[1].system_attrs[HEARTBEAT] > time.time() - 1


def test_a_trial_that_never_beat_is_left_alone(tmp_path) -> None:
    """A trial asked by a process that does not beat (another tool) is none of the sweep's."""
    study = journal_study(tmp_path / "journal.log")
    study.ask()
    assert fail_stale_trials(study, grace_period=0.0) == []
