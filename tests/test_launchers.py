"""Hydra's launchers and Lightning's DDP, for real: parallel trials (joblib), submitit's local twin of
the SLURM launcher, and one trial trained by two processes on CPU (gloo)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import optuna
from optuna.trial import TrialState

from .conftest import TINY_TRIAL, run_module

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
    return [json.loads(Path(t.user_attrs["result_path"]).read_text()) for t in study.get_trials()]


def test_parallel_launcher_runs_trials_side_by_side_with_a_share_of_the_cores(tmp_path):
    study = sweep(tmp_path, "hydra/launcher=parallel", "hydra.launcher.n_jobs=2")
    # One batch of two: each trial ran in its own joblib process, with half the cores each.
    records = results(study)
    assert all(r["torch_threads"] == max(1, (os.cpu_count() or 1) // 2) for r in records)
    started = [t.datetime_start for t in study.get_trials()]
    finished = [t.datetime_complete for t in study.get_trials()]
    assert max(started) < min(finished)  # they overlapped


def test_slurm_local_twin_runs_a_two_trial_sweep_through_submitit(tmp_path):
    study = sweep(tmp_path, "hydra/launcher=slurm_local")
    assert len(results(study)) == 2
    # submitit's own job folders: the same submit / wait / collect path as on a SLURM cluster.
    assert len([p for p in (tmp_path / ".submitit").glob("*/*_result.pkl")]) == 2


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
    assert records["ddp"]["metrics"]["cost/mult_adds_M"] == records["single"]["metrics"]["cost/mult_adds_M"]
