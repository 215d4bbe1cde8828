"""A SQLite study that another process holds locked for a while is waited for, within a bound
(``?timeout=<seconds>`` on the URL, 60 s by default), and refused in one line beyond it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import optuna
import pytest

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.storage import open_storage
from tests.conftest import TINY_TRIAL, run_module

# Holds an exclusive lock on the database for argv[2] seconds; what it writes inside that
# transaction (the table ``held``) is visible to others only once the lock is released.
HOLD = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
connection.execute("CREATE TABLE held (x)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


def hold(database, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_locked_study_is_waited_for(tmp_path):
    database = tmp_path / "study.db"
    holder = hold(database, 8)  # beyond sqlite3's own 5 s wait
    try:
        study = optuna.create_study(study_name="busy", storage=open_storage(f"sqlite:///{database}"))
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    finally:
        holder.wait(timeout=60)
    with sqlite3.connect(database) as connection:  # written after the holder's lock was released
        assert connection.execute("SELECT count(*) FROM held").fetchone() == (0,)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert len(study.trials) == 2


def test_the_wait_is_bounded_and_then_refused_in_one_line(tmp_path):
    database = tmp_path / "study.db"
    holder = hold(database, 60)
    try:
        started = time.monotonic()
        with pytest.raises(ConfigError) as refused:
            open_storage(f"sqlite:///{database}?timeout=1")
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert "\n" not in message and message.startswith("hydra.sweeper.storage=")
    assert "database is locked by another process for longer than the 1 s waited" in message
    assert 1 <= waited < 60  # it waited its second, not the holder's minute


@pytest.mark.slow  # a real sweep behind a 20 s lock: CI runs it (make test-slow)
def test_a_sweep_waits_out_a_lock_held_for_20_s_and_finishes(tmp_path):
    database = tmp_path / "study.db"
    holder = hold(database, 20)
    result = run_module("mobisweep", "+sweep=alpha_rho", *TINY_TRIAL,
                        f"hydra.sweeper.storage=sqlite:///{database}",
                        f"hydra.sweep.dir={tmp_path / 'sweep'}", "model.alpha=0.25",
                        "data.rho=choice(1.0)", "-m", env={"WANDB_MODE": "offline"})
    assert holder.wait(timeout=60) == 0
    assert result.returncode == 0, result.stderr[-3000:]
    study = optuna.load_study(study_name="alpha_rho", storage=f"sqlite:///{database}")
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE]
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
