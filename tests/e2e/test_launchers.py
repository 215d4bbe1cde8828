"""Hydra's launchers and Lightning's DDP, for real: parallel trials (joblib), submitit's local twin
of the SLURM launcher, and one trial trained by two processes on CPU (gloo)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.conftest import TINY_TRIAL, run_module

TWO_TRIALS = ["+sweep=alpha_rho", *TINY_TRIAL, "model.alpha=choice(0.5,0.25)", "data.rho=1.0"]


def sweep(tmp_path: Path, *overrides: str) -> optuna.Study:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    done = run_module("mobisweep", *TWO_TRIALS, *overrides, "study_name=launch",
                      f"hydra.sweeper.storage={storage}", f"hydra.sweep.dir={tmp_path}", "-m",
                      timeout=600, env={"WANDB_MODE": "offline"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    study = optuna.load_study(study_name="launch", storage=storage)
    trials = study.get_trials()
    assert sorted(t.params["model.alpha"] for t in trials) == [0.25, 0.5]
    assert all(t.state == TrialState.COMPLETE for t in trials)
    return study


def results(study: optuna.Study) -> list[dict]:
    return [
        json.loads(Path(t.user_attrs["mobisweep:result_path"]).read_text())
        for t in study.get_trials()
    ]


@pytest.mark.slow  # the slots themselves: tests/unit/sweep/test_slots.py; CI runs it
def test_parallel_slots_take_the_next_trial_as_soon_as_one_frees(tmp_path):
    # For each seed a long trial (6 epochs), then a short one (1 epoch), on 2 joblib slots.
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    done = run_module("mobisweep", "+sweep=alpha_rho", *TINY_TRIAL, "data.rho=1.0",
                      "model.alpha=0.25", "seed=choice(0,1)", "trainer.max_epochs=choice(6,1)",
                      "study_name=slots", f"hydra.sweeper.storage={storage}",
                      f"hydra.sweep.dir={tmp_path}", "hydra/launcher=parallel",
                      "hydra.launcher.n_jobs=2", "-m", timeout=600, env={"WANDB_MODE": "offline"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    study = optuna.load_study(study_name="slots", storage=storage)
    trials = sorted(study.get_trials(), key=lambda t: t.number)
    assert [(t.params["seed"], t.params["trainer.max_epochs"]) for t in trials] == \
        [(0, 6), (0, 1), (1, 6), (1, 1)]
    assert all(t.state == TrialState.COMPLETE for t in trials)
    # Each trial ran in its own joblib process, with half the cores.
    assert all(r["torch_threads"] == max(1, (os.cpu_count() or 1) // 2) for r in results(study))
    # The slot of the short trial 1 took trial 2 while the long trial 0 still ran: a synchronous
    # batch of two would have waited for trial 0 first.
    assert trials[1].datetime_complete <= trials[2].datetime_start < trials[0].datetime_complete


@pytest.mark.slow  # the same submitit path runs on a real cluster in tests/e2e/test_slurm.py
def test_slurm_local_twin_runs_a_two_trial_sweep_through_submitit(tmp_path):
    study = sweep(tmp_path, "hydra/launcher=slurm_local")
    assert len(results(study)) == 2
    # submitit's own job folders: the same submit / wait / collect path as on a SLURM cluster.
    assert len([p for p in (tmp_path / ".submitit").glob("*/*_result.pkl")]) == 2


@pytest.mark.slow  # three processes; CI runs it (make test-slow)
def test_ddp_on_cpu_trains_one_trial_with_two_processes_and_logs_the_same_metrics(tmp_path):
    records = {}
    for name, extra in (("single", []), ("ddp", ["trainer=ddp", "trainer.accelerator=cpu"])):
        done = run_module("mobisweep", *TINY_TRIAL, *extra, f"hydra.run.dir={tmp_path / name}",
                          timeout=600, env={"WANDB_MODE": "offline"})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        records[name] = json.loads((tmp_path / name / "result.json").read_text())
    assert "distributed_backend=gloo" in done.stdout + done.stderr
    assert "Starting with 2 processes" in done.stdout + done.stderr
    assert records["ddp"]["metrics"].keys() == records["single"]["metrics"].keys()
    for key in ("val/acc1", "val/acc5", "train/images_per_s"):
        assert 0 < records["ddp"]["metrics"][key]
    # Same model, same cost accounting, whatever the number of processes.
    assert (
        records["ddp"]["metrics"]["cost/mult_adds_M"]
        == records["single"]["metrics"]["cost/mult_adds_M"]
    )
