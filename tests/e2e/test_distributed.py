"""Many workers on one study, for real: PostgreSQL on loopback, a journal file, kill -9, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from mobisweep.core.trial_folder import last_checkpoint
from mobisweep.sweep.storage import open_storage
from mobisweep.sweep.trial_attrs import INTERRUPTED, RETRY_OF
from tests.conftest import REPO, TINY_TRIAL

pytestmark = pytest.mark.service

# Quick heartbeats: a dead worker's trial is taken over within seconds.
TINY = [*TINY_TRIAL, "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=4"]
GRID = [(a, r) for a in (1.0, 0.75, 0.5, 0.25) for r in (1.0, 0.857, 0.714, 0.571)]


def start_worker(tmp_path: Path, storage: str, study: str, *overrides: str,
                 env: dict[str, str] | None = None, name: str = "worker") -> subprocess.Popen:
    """One ``python -m mobisweep ... -m`` worker, in its own process group, output to a file."""
    path = tmp_path / f"{name}-{time.monotonic_ns()}.log"
    log = open(path, "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "mobisweep", *overrides, f"study_name={study}",
         f"hydra.sweeper.storage={storage}", f"hydra.sweep.dir={tmp_path / 'sweep'}", "-m"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        # A shell's background job starts with SIGINT ignored; a worker must see Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, "WANDB_MODE": "offline", "COLUMNS": "200", **(env or {})})
    LOGS[worker.pid] = path
    return worker


def wait_all(workers: list[subprocess.Popen], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.wait(timeout=max(1.0, deadline - time.monotonic()))


LOGS: dict[int, Path] = {}
# Several workers on this 2-core machine: one torch thread each, or their OpenMP threads spin
# against each other (what hydra/launcher=parallel does for trials side by side).
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def log_of(worker: subprocess.Popen) -> str:
    return LOGS[worker.pid].read_text()[-4000:]


def check_grid_done(study: optuna.Study, points: list[tuple[float, float]]) -> None:
    """Every point COMPLETE exactly once, nothing left running, objectives equal result.json."""
    trials = study.get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    done = sorted((t.params["model.alpha"], t.params["data.rho"]) for t in complete)
    assert done == sorted(points)  # each combination once: no duplicate, none missing
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for trial in complete:
        record = json.loads(Path(trial.user_attrs["mobisweep:result_path"]).read_text())
        assert trial.values == [record["metrics"]["val/acc1"],
                                record["metrics"]["cost/mult_adds_M"]]


def test_three_workers_share_a_grid_on_postgresql(tmp_path, postgres):
    database = postgres.create_database("three_workers")
    env = {"PGPASSWORD": postgres.password, **ONE_THREAD}
    workers = [start_worker(tmp_path, postgres.url(database), "grid", "+sweep=alpha_rho", *TINY,
                            env=env) for _ in range(3)]
    wait_all(workers)
    assert [w.returncode for w in workers] == [0, 0, 0], log_of(workers[0])
    study = optuna.load_study(study_name="grid",
                              storage=postgres.url(database, password=True))
    check_grid_done(study, GRID)
    assert len(study.get_trials()) == 16
    ran_on = {t.user_attrs["mobisweep:worker"] for t in study.get_trials()}
    assert len(ran_on) >= 2  # the grid really was shared


@pytest.mark.slow  # the same sharing as on PostgreSQL above, through Optuna's journal storage
def test_two_workers_share_a_grid_on_a_journal_file(tmp_path):
    storage = f"journal:///{tmp_path / 'journal.log'}"
    workers = [start_worker(tmp_path, storage, "journal", "+sweep=alpha_rho", *TINY,
                            env=ONE_THREAD) for _ in range(2)]
    wait_all(workers)
    assert [w.returncode for w in workers] == [0, 0], log_of(workers[0])
    study = optuna.load_study(study_name="journal", storage=open_storage(storage))
    check_grid_done(study, GRID)
    assert len(study.get_trials()) == 16


def wait_for_study(storage: str, name: str, worker: subprocess.Popen) -> optuna.Study:
    while worker.poll() is None:
        try:
            return optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            time.sleep(0.5)
    raise AssertionError(f"the worker exited first: {log_of(worker)}")


def wait_for_checkpoint(study: optuna.Study, worker: subprocess.Popen) -> optuna.trial.FrozenTrial:
    """The running trial of ``worker`` once it has saved a checkpoint (mid-training)."""
    while worker.poll() is None:
        for trial in study.get_trials(states=(TrialState.RUNNING,)):
            owner = trial.user_attrs.get("mobisweep:worker", "")
            out = trial.user_attrs.get("mobisweep:output_dir")
            if owner.endswith(f":{worker.pid}") and out and \
                    last_checkpoint(Path(out)).is_file():
                return trial
        time.sleep(0.2)
    raise AssertionError(f"the worker exited before a checkpoint: {log_of(worker)}")


LONG = [
    *TINY[:2],
    "trainer.max_epochs=6",
    *TINY[3:],
    "model.alpha=choice(0.25)",
    "data.rho=1.0,0.571",
]


@pytest.mark.slow  # a fault of many workers; CI runs it (make test-slow)
def test_a_killed_worker_trial_fails_is_retried_and_resumes(tmp_path, postgres):
    database = postgres.create_database("kill9")
    env = {"PGPASSWORD": postgres.password}
    storage = postgres.url(database)
    first = start_worker(tmp_path, storage, "kill9", "+sweep=alpha_rho", *LONG, env=env)
    second = start_worker(tmp_path, storage, "kill9", "+sweep=alpha_rho", *LONG, env=env)
    study = wait_for_study(postgres.url(database, True), "kill9", first)
    killed = wait_for_checkpoint(study, first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    wait_all([second])
    assert second.returncode == 0, log_of(second)

    points = [(0.25, 1.0), (0.25, 0.571)]
    check_grid_done(study, points)
    trials = {t.number: t for t in study.get_trials()}
    # failed by the survivor's heartbeat check
    assert trials[killed.number].state == TrialState.FAIL
    retry = [t for t in trials.values() if t.user_attrs.get(RETRY_OF) == killed.number]
    assert len(retry) == 1 and retry[0].state == TrialState.COMPLETE
    assert retry[0].params == killed.params
    # It resumed from the killed attempt's checkpoint instead of starting over.
    resumed = retry[0].user_attrs["mobisweep:resumed_from"]
    assert resumed.startswith(killed.user_attrs["mobisweep:output_dir"])
    assert "mobisweep:worker" in retry[0].user_attrs
    assert retry[0].user_attrs["mobisweep:worker"].endswith(f":{second.pid}")


@pytest.mark.slow  # interrupt and resume: SIGTERM runs it in the default suite (test_faults)
def test_ctrl_c_marks_the_trial_interrupted_and_the_next_run_resumes_it(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    args = ["+sweep=alpha_rho", *LONG[:-2], "model.alpha=choice(0.25)", "data.rho=1.0"]
    worker = start_worker(tmp_path, storage, "ctrl_c", *args)
    study = wait_for_study(storage, "ctrl_c", worker)
    trial = wait_for_checkpoint(study, worker)
    os.killpg(worker.pid, signal.SIGINT)
    worker.wait(timeout=120)
    assert worker.returncode != 0
    stopped = study.get_trials()[trial.number]
    assert stopped.state == TrialState.FAIL and stopped.user_attrs[INTERRUPTED] is True
    assert not [t for t in study.get_trials() if t.state == TrialState.COMPLETE]

    again = start_worker(tmp_path, storage, "ctrl_c", *args)
    wait_all([again])
    assert again.returncode == 0, log_of(again)
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert trials[1].user_attrs[RETRY_OF] == trial.number
    assert "mobisweep:resumed_from" in trials[1].user_attrs


def _stat(pid: int | str) -> tuple[str, int]:
    """A process's state letter and parent pid from /proc; a process that is gone reads as a
    zombie ("Z")."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return "Z", 0
    return fields[0], int(fields[1])


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (joblib's workers of a sweeper)."""
    return {int(path.name) for path in Path("/proc").glob("[0-9]*")
            if (stat := _stat(path.name))[0] != "Z" and stat[1] == pid}


@pytest.mark.slow
def test_sigterm_to_a_sweeper_with_two_slots_interrupts_both_trials_and_stops_its_workers(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    args = ["+sweep=alpha_rho", *LONG, "hydra/launcher=parallel", "hydra.launcher.n_jobs=2"]
    worker = start_worker(tmp_path, storage, "slots_sigterm", *args)
    study = wait_for_study(storage, "slots_sigterm", worker)
    def training() -> list[optuna.trial.FrozenTrial]:  # running, one epoch done
        return [t for t in study.get_trials(states=(TrialState.RUNNING,))
                if "mobisweep:output_dir" in t.user_attrs
                and last_checkpoint(Path(t.user_attrs["mobisweep:output_dir"])).is_file()]

    deadline = time.monotonic() + 300
    while len(training()) < 2:
        assert worker.poll() is None, log_of(worker)
        assert time.monotonic() < deadline, "two trials never ran side by side"
        time.sleep(0.2)
    workers = children_of(worker.pid)
    assert workers  # joblib's processes run the trials
    worker.send_signal(signal.SIGTERM)  # the sweeper alone, as a scheduler or `kill` sends it
    worker.wait(timeout=120)
    assert worker.returncode != 0, log_of(worker)
    trials = study.get_trials()
    assert len(trials) == 2 and all(t.state == TrialState.FAIL for t in trials)
    assert all(t.user_attrs[INTERRUPTED] is True for t in trials), log_of(worker)
    deadline = time.monotonic() + 60
    while any(_stat(pid)[0] != "Z" for pid in workers):
        assert time.monotonic() < deadline, f"joblib's workers outlived the sweeper: {workers}"
        time.sleep(0.5)

