"""Sweeps on a real SLURM cluster (one node on loopback, ``tests/support/slurm.py``):
``hydra/launcher=slurm`` end to end with a shared storage, pre-emption by ``scontrol requeue``, a
job that reaches its time limit, and ``scancel`` of a running trial. The cluster's own record is
read back each time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.conftest import REPO, TINY_TRIAL

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

# One CPU and 1 GB per trial; two trials at once on the node's two CPUs.
LAUNCHER = [
    "hydra/launcher=slurm",
    "hydra.launcher.gpus_per_node=null",
    "hydra.launcher.cpus_per_task=1",
    "hydra.launcher.mem_gb=1",
    "hydra.launcher.array_parallelism=2",
]


def start(slurm, tmp_path: Path, *overrides: str) -> subprocess.Popen:
    """A sweep on the cluster: the sweeper runs here, each trial as a SLURM job."""
    command = [sys.executable, "-m", "mobisweep", "+sweep=alpha_rho", *TINY_TRIAL, "data.rho=1.0",
               *LAUNCHER, f"hydra.launcher.partition={slurm.partition}", "study_name=cluster",
               f"hydra.sweep.dir={tmp_path / 'sweep'}",
               f"hydra.sweeper.storage=journal:///{tmp_path / 'journal.log'}",
               "hydra.sweeper.heartbeat_interval=2", *overrides, "-m"]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, **slurm.env, "WANDB_MODE": "offline"})


def finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-4000:]
    return out


def study(tmp_path: Path) -> list[optuna.trial.FrozenTrial]:
    """The study's trials, by number (none before the sweeper has created it)."""
    if not (tmp_path / "journal.log").is_file():
        return []
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "journal.log")))
    try:
        trials = optuna.load_study(study_name="cluster", storage=storage).get_trials()
    except KeyError:  # the journal exists, the study not yet
        return []
    return sorted(trials, key=lambda t: t.number)


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the sweep ended before {what}: {process.stdout.read()[-4000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def running_job(slurm) -> str:
    out = slurm.run("squeue", "-h", "-t", "RUNNING", "-o", "%i")
    return out.split()[0] if out.split() else ""


def test_a_sweep_runs_each_trial_as_a_slurm_job_on_a_shared_storage(slurm, tmp_path):
    before = set(slurm.jobs())
    finish(start(slurm, tmp_path, "model.alpha=choice(0.5,0.25)"))
    trials = study(tmp_path)
    assert sorted(t.params["model.alpha"] for t in trials) == [0.25, 0.5]
    assert all(t.state == TrialState.COMPLETE for t in trials)
    jobs = [j for j in slurm.jobs() if j not in before]
    assert len(jobs) == 2  # one job per trial, each a submitit job of this sweep
    assert {slurm.job(j)["JobState"] for j in jobs} == {"COMPLETED"}
    assert all((tmp_path / "sweep" / ".submitit" / j).is_dir() for j in jobs)


def test_a_requeued_trial_resumes_from_its_checkpoint_and_is_no_failure(slurm, tmp_path):
    process = start(slurm, tmp_path, "model.alpha=choice(0.25)", "data.batch_size=16",
                    "trainer.max_epochs=12")
    checkpoint = tmp_path / "sweep" / "trial_0" / "checkpoints" / "last.ckpt"
    wait_for(checkpoint.is_file, process, "the first epoch's checkpoint")
    job = running_job(slurm)
    slurm.run("scontrol", "requeue", job)  # what pre-emption does: SIGTERM, SIGKILL, queued again
    # A requeued job waits in BeginTime before it may start again: let it start now.
    wait_for(lambda: slurm.job(job)["JobState"] == "PENDING", process, "the requeue")
    slurm.run("scontrol", "update", f"JobId={job}", "StartTime=now")
    finish(process)
    record = slurm.job(job)
    assert record["Restarts"] == "1" and record["JobState"] == "COMPLETED", record
    (trial,) = study(tmp_path)  # no second attempt was queued: the pre-emption was no failure
    assert trial.state == TrialState.COMPLETE
    log = (tmp_path / "sweep" / "trial_0" / "mobisweep.log").read_text()
    assert f"resuming from {checkpoint}" in log


def test_a_trial_past_its_time_limit_fails_and_its_retry_resumes(slurm, tmp_path):
    # A one-minute limit, no requeue by submitit: SLURM sends SIGTERM, then SIGKILL after
    # KillWait (5 s). The trial cannot finish 100000 epochs in a minute on any machine.
    process = start(slurm, tmp_path, "model.alpha=choice(0.25)", "trainer.max_epochs=100000",
                    "hydra.launcher.timeout_min=1", "hydra.launcher.max_num_timeout=0",
                    "hydra.sweeper.max_retries=1", "hydra.launcher.signal_delay_s=0")
    checkpoint = tmp_path / "sweep" / "trial_0" / "checkpoints" / "last.ckpt"
    wait_for(lambda: len(study(tmp_path)) == 2, process, "the retry", timeout=400)
    wait_for(lambda: bool(running_job(slurm)), process, "the retry's job")
    slurm.run("scancel", running_job(slurm))  # the retry proved the point: no second minute
    out = finish(process)
    trials = study(tmp_path)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert "TIMEOUT" in trials[0].user_attrs["mobisweep:error"], trials[0].user_attrs
    assert trials[1].user_attrs["mobisweep:resumed_from"] == str(checkpoint)
    timed_out = [j for j in slurm.jobs() if slurm.job(j)["JobState"] == "TIMEOUT"]
    assert timed_out, out[-3000:]


def test_a_cancelled_trial_is_recorded_failed_and_the_sweep_goes_on(slurm, tmp_path):
    process = start(slurm, tmp_path, "model.alpha=choice(0.25,0.5)", "trainer.max_epochs=100000",
                    "hydra.launcher.array_parallelism=1", "hydra.sweeper.max_retries=0")
    checkpoint = tmp_path / "sweep" / "trial_0" / "checkpoints" / "last.ckpt"
    wait_for(checkpoint.is_file, process, "the first trial's first epoch")
    first = running_job(slurm)
    slurm.run("scancel", first)
    wait_for(lambda: (tmp_path / "sweep" / "trial_1" / "checkpoints" / "last.ckpt").is_file(),
             process, "the second trial's first epoch")
    second = running_job(slurm)
    assert second != first
    slurm.run("scancel", second)
    finish(process)
    trials = study(tmp_path)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert all("CANCELLED" in t.user_attrs["mobisweep:error"] for t in trials), [
        t.user_attrs for t in trials
    ]
    assert slurm.job(first)["JobState"] == "CANCELLED"
