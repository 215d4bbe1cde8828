"""Faults beyond a bad config value: odd study names, SIGTERM, reused run folders, non-finite
figures, unreadable image trees, unparsable storage URLs and reordered grids. No trial is left
RUNNING, no result is silently wrong, and a user's mistake is one line, never a traceback."""

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
from PIL import Image

from mobisweep.core.errors import ConfigError
from mobisweep.core.trial_folder import last_checkpoint, write_result
from mobisweep.sweep.space import parse_search_space
from mobisweep.sweep.storage import masked, scrub
from mobisweep.sweep.study import open_study
from mobisweep.sweep.trial_attrs import INTERRUPTED
from mobisweep.train.assembly import finite_metrics
from tests.conftest import REPO, TINY_TRIAL, run_module

ONE_POINT = ["+sweep=alpha_rho", *TINY_TRIAL, "model.alpha=choice(0.25)", "data.rho=1.0"]


def sweep(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    return run_module("mobisweep", *overrides, f"hydra.sweep.dir={tmp_path / 'sweep'}",
                      f"hydra.sweeper.storage=sqlite:///{tmp_path / 'study.db'}", "-m",
                      env={"WANDB_MODE": "offline"})


def trials(tmp_path: Path, name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=name,
                             storage=f"sqlite:///{tmp_path / 'study.db'}").get_trials()


def one_error_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line.lower()]) == 1


@pytest.mark.slow  # two sweeps; CI runs it (make test-slow)
def test_a_study_name_with_a_space_and_non_ascii_letters_runs_and_resumes(tmp_path):
    name = "stüdy ü"
    first = sweep(tmp_path, *ONE_POINT, f"study_name='{name}'")
    assert first.returncode == 0, first.stderr[-3000:]
    assert [t.state for t in trials(tmp_path, name)] == [TrialState.COMPLETE]
    again = sweep(tmp_path, *ONE_POINT, f"study_name='{name}'")  # returns, trains nothing
    assert again.returncode == 0 and "Launching" not in again.stdout + again.stderr
    assert [t.state for t in trials(tmp_path, name)] == [TrialState.COMPLETE]
    one_error_line(sweep(tmp_path, *ONE_POINT, "study_name='a/b'"),
                   "study_name='a/b': must be a non-empty name without /")


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    log = open(tmp_path / f"run-{time.monotonic_ns()}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "mobisweep", *args], cwd=REPO, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "WANDB_MODE": "offline", "COLUMNS": "200"})


def wait_for(condition, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the run ended before the signal was sent"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_sigterm_during_training_exits_non_zero_and_the_rerun_resumes(tmp_path):
    run_dir = tmp_path / "run"
    args = [*TINY_TRIAL[:2], "data.batch_size=16", "trainer.max_epochs=4", "latency=none",
            "logger.mode=offline", f"hydra.run.dir={run_dir}"]
    process = start(tmp_path, *args)
    wait_for(last_checkpoint(run_dir).is_file, process)  # one epoch done, training the next
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) != 0
    assert not (run_dir / "result.json").exists()
    resumed = run_module("mobisweep", *args[:-3], "trainer.max_epochs=2", "latency=none",
                         "logger.mode=offline", f"hydra.run.dir={run_dir}")
    # Another max_epochs is another configuration: refused, not resumed.
    assert resumed.returncode == 2 and "trainer.max_epochs 4 -> 2" in resumed.stderr
    finished = run_module("mobisweep", *args)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "resuming from" in finished.stdout + finished.stderr
    record = json.loads((run_dir / "result.json").read_text())
    assert len(record["curves"]) == 4 and record["curves"][0]["epoch"] == 0


# A signal mid-trial marks it interrupted in the default suite too (test_distributed's Ctrl-C test);
# this one sends it during the latency measurement that follows training.
@pytest.mark.slow
def test_sigterm_during_latency_marks_the_trial_interrupted_and_the_rerun_trains_it(tmp_path):
    slow_latency = ["latency=eager", "latency.min_runs=5", "latency.max_runs=100000",
                    "latency.max_seconds=12", "latency.target_cv=1e-9"]
    args = [a for a in ONE_POINT if a != "latency=none"] + slow_latency + [
        "study_name=sigterm", f"hydra.sweep.dir={tmp_path / 'sweep'}",
        f"hydra.sweeper.storage=sqlite:///{tmp_path / 'study.db'}", "hydra.sweeper.max_retries=0"]
    process = start(tmp_path, *args, "-m")
    trial_dir = tmp_path / "sweep" / "trial_0"
    wait_for(last_checkpoint(trial_dir).is_file, process)  # the one epoch is done: timing now
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) != 0
    [stopped] = trials(tmp_path, "sigterm")
    assert stopped.state == TrialState.FAIL and stopped.user_attrs[INTERRUPTED] is True
    assert not (trial_dir / "result.json").exists()
    again = run_module("mobisweep", *args, "-m", env={"WANDB_MODE": "offline"})  # the same command
    assert again.returncode == 0, again.stderr[-3000:]
    assert [t.state for t in trials(tmp_path, "sigterm")] == [TrialState.FAIL, TrialState.COMPLETE]


@pytest.mark.slow  # three runs; CI runs it (make test-slow)
def test_a_reused_run_folder_of_another_configuration_is_refused(tmp_path):
    args = [*TINY_TRIAL, "model.alpha=0.25", f"hydra.run.dir={tmp_path}"]
    assert run_module("mobisweep", *args).returncode == 0
    first = (tmp_path / "result.json").read_text()
    one_error_line(run_module("mobisweep", *args, "optimizer.lr=5.0"),
                   f"hydra.run.dir='{tmp_path}': holds the checkpoint or result of another "
                   f"configuration (optimizer.lr 0.1 -> 5.0)")
    one_error_line(run_module("mobisweep", *args, "model.alpha=0.5"),
                   "model.alpha 0.25 -> 0.5")
    assert (tmp_path / "result.json").read_text() == first  # nothing written was lost
    fresh = run_module("mobisweep", *args, "optimizer.lr=0.05", "fresh=true")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert json.loads((tmp_path / "result.json").read_text())["config"]["lr"] == 0.05
    # (The same configuration again returns its result: the next test.)


@pytest.mark.slow  # three runs; CI runs it (make test-slow)
def test_a_finished_trial_keeps_no_checkpoint_and_is_not_trained_again(tmp_path):
    args = [*TINY_TRIAL, "model.alpha=0.25", f"hydra.run.dir={tmp_path}"]
    first = run_module("mobisweep", *args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert not last_checkpoint(tmp_path).exists() and not (tmp_path / "checkpoints").exists()
    result = (tmp_path / "result.json").read_text()
    again = run_module("mobisweep", *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already finished" in again.stdout + again.stderr and "Epoch 0" not in again.stdout
    assert (tmp_path / "result.json").read_text() == result  # the same figures, not retrained
    kept = tmp_path / "kept"
    assert run_module("mobisweep", *args[:-1], f"hydra.run.dir={kept}",
                      "keep_checkpoints=true").returncode == 0
    assert last_checkpoint(kept).is_file()


@pytest.mark.parametrize("override, message", [
    ("latency.min_runs=0", "latency.min_runs=0: must be an integer >= 1"),
    ("optimizer.lr=nan", "optimizer.lr=nan: must be a finite number > 0"),
    ("optimizer.lr=-1", "optimizer.lr=-1: must be a finite number > 0"),
])
def test_checked_before_any_training(tmp_path, override, message):
    result = run_module("mobisweep", *TINY_TRIAL[:-2], "latency=eager", "logger.mode=offline",
                        override, f"hydra.run.dir={tmp_path}")
    one_error_line(result, message)
    assert "Epoch" not in result.stdout + result.stderr
    assert not (tmp_path / "result.json").exists()


def test_non_finite_figures_fail_the_trial_and_result_json_is_strict(tmp_path):
    with pytest.raises(FloatingPointError, match=r"val/loss is nan: the trial diverged"):
        finite_metrics({"val/acc1": 0.1, "val/loss": float("nan")})
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        write_result(tmp_path, {"metrics": {"val/loss": float("inf")}})
    assert not (tmp_path / "result.json").exists()


def _image_tree(root: Path, readable: bool, empty_class: bool) -> None:
    for split in ("train", "val"):
        for name in ("a", "b"):
            folder = root / split / name
            folder.mkdir(parents=True)
            if empty_class and name == "b":
                continue
            for i in range(2):
                path = folder / f"{i}.png"
                if readable:
                    Image.new("RGB", (40, 40), (40 * i, 90, 200)).save(path)
                else:
                    path.write_bytes(b"not an image")


@pytest.mark.parametrize("readable, empty_class, message", [
    (True, True, "holds no images"),
    (False, False, "can be read"),
])
def test_image_folder_problems_are_refused_before_the_study_opens(tmp_path, readable,
                                                                   empty_class, message):
    _image_tree(tmp_path / "images", readable, empty_class)
    args = [o for o in ONE_POINT if not o.startswith("data")] + [
        "data=folder", f"data.root={tmp_path / 'images'}", "data.num_classes=2",
        "data.num_workers=0", "data.base_resolution=32", "data.rho=1.0", "study_name=images"]
    result = sweep(tmp_path, *args)
    one_error_line(result, message)
    assert "Launching" not in result.stdout + result.stderr
    assert not (tmp_path / "study.db").exists() or not trials(tmp_path, "images")


def test_a_password_in_an_unparsable_url_is_masked(tmp_path):
    url = "postgres:/mobisweep:s3cret@127.0.0.1/db"
    assert "s3cret" not in masked(url)
    assert "s3cret" not in scrub(f"could not open {url}: s3cret rejected", url)
    result = run_module("mobisweep", *ONE_POINT, f"hydra.sweeper.storage={url}",
                        f"hydra.sweep.dir={tmp_path / 'sweep'}", "-m")
    one_error_line(result, "hydra.sweeper.storage='postgres:***@127.0.0.1/db'")
    assert "s3cret" not in result.stdout + result.stderr


def test_a_grid_is_the_same_grid_in_any_order_and_a_change_is_named(tmp_path):
    storage = f"sqlite:///{tmp_path / 'grid.db'}"
    sampler = optuna.samplers.RandomSampler(seed=0)

    def open_with(*arguments: str) -> optuna.Study:
        return open_study("grid", storage, ["maximize"], sampler,
                          parse_search_space({}, arguments), ["val/acc1"])

    open_with("model.alpha=0.5,0.25", "data.rho=1.0")
    open_with("model.alpha=0.25,0.5", "data.rho=1.0")  # another order: the same grid
    with pytest.raises(ConfigError) as changed:
        open_with("model.alpha=0.25,0.75", "data.rho=0.5")
    message = str(changed.value)
    assert "model.alpha choice(0.25, 0.5) -> choice(0.25, 0.75)" in message
    assert "fixed data.rho 1.0 -> 0.5" in message and len(message) < 300
