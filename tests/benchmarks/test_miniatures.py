"""Every script in ``benchmarks/`` runs in miniature (tiny sizes, one round), so that none rots
between the runs that fill its row of the README. Each must finish and print its figures; what the
figures are is the benchmark's business, not the test's. (``gpu_check``, ``folder_loader``,
``design_space_latency``, ``replay_fidelity`` and ``latency_ranking`` have their own miniatures
beside this file and in ``tests/unit/latency``.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SWEEP = ("data=digits", "data.train_subset=200", "data.val_subset=100", "trainer.max_epochs=1",
         "latency.min_runs=3", "latency.max_runs=3")

MINIATURES = {
    "pruning_replay": (["--orders", "2"], "oracle / unpruned"),
    "search_efficiency": (["--seeds", "1", "--budget", "16"], "(exhaustive)"),
    "slots": (["--replay", str(REPO / "sweeps/reference/pruning/unpruned/trials.csv")], "8 "),
    "latency": (["--rounds", "1", "--runs", "2", "--resolution", "32"], "speed-up of"),
    "train_throughput": (["--data", "digits", "--images", "256", "--steps", "2", "--repeats", "1",
                          "--step-resolution", "32", "--step-batch", "4", "--batch", "64"],
                         "ratio loader / model"),
}
SLOW_MINIATURES = {
    # 16 networks at 224·ρ px, whatever the rounds: about a minute.
    "latency_grid": (["--rounds", "1", "--runs", "1", "--out", "{tmp}"], " takes "),
    "sweep_overhead": (["--repeats", "1", *SWEEP], "wall / training"),
    "workers": (["--repeats", "1"], "worker"),
    "storage_overhead": (["--trials", "3"], "postgresql"),
    "pruned_sweep": (["--name", "mini", "--folder", "{tmp}", "--pruner-args",
                      "hydra.sweeper.pruner.rungs=[0]", "--", *SWEEP, "model.alpha=0.5,0.25",
                      "data.rho=1.0", "trainer.max_epochs=2"], "hypervolume"),
}


def run(name: str, args: list[str], expect: str, tmp_path: Path) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / f"{name}.py"), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "WANDB_MODE": "offline"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert expect in done.stdout, done.stdout[-3000:]


@pytest.mark.parametrize("name", MINIATURES)
def test_benchmark_in_miniature(name: str, tmp_path: Path) -> None:
    run(name, *MINIATURES[name], tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_MINIATURES)
def test_long_benchmark_in_miniature(name: str, tmp_path: Path) -> None:
    run(name, *SLOW_MINIATURES[name], tmp_path)


def test_every_benchmark_has_a_miniature() -> None:
    elsewhere = {"gpu_check", "folder_loader", "design_space_latency", "replay_fidelity",
                 "latency_ranking"}
    scripts = {p.stem for p in (REPO / "benchmarks").glob("*.py")}
    assert scripts == set(MINIATURES) | set(SLOW_MINIATURES) | elsewhere
