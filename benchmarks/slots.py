"""How busy a sweep keeps its slots: utilization = sum of trial wall seconds / (slots x makespan).

Two measurements:

* ``--sweep``: a real sweep, 2 slots (``hydra/launcher=parallel``: joblib), α 1.0 and α 0.25 x 4
  seeds on a Fashion-MNIST subset, one epoch each; for every seed both networks, so the trials
  alternate long, short (about 4x apart). ``--python`` picks the interpreter, and so the mobisweep,
  that runs it: compare a checkout that launches synchronous batches with one that does not.
* ``--replay trials.csv``: a committed sweep's trial wall times, replayed in trial-number order on
  2, 4 and 8 slots, once as synchronous batches (each batch waits for its slowest trial) and once
  with slots that take the next trial as soon as they free.

    .venv/bin/python benchmarks/slots.py --sweep
    .venv/bin/python benchmarks/slots.py --replay sweeps/reference/pruning/unpruned/trials.csv
"""

from __future__ import annotations

import argparse
import csv
import heapq
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRID = ["+sweep=base", "data=fashion_mnist", "data.train_subset=12000", "data.val_subset=500",
        "trainer.max_epochs=1", "latency=none", "logger.mode=offline", "study_name=slots",
        "hydra/launcher=parallel", "hydra.launcher.n_jobs=2",
        "seed=choice(0,1,2,3)", "model.alpha=choice(1.0,0.25)",
        "hydra.sweeper.grid=true"]


def synchronous(walls: list[float], slots: int) -> float:
    """Makespan when trials run in batches of ``slots`` and each batch waits for its slowest."""
    return sum(max(walls[i:i + slots]) for i in range(0, len(walls), slots))


def asynchronous(walls: list[float], slots: int) -> float:
    """Makespan when a slot takes the next trial the moment it frees."""
    free_at = [0.0] * slots
    for wall in walls:
        heapq.heappush(free_at, heapq.heappop(free_at) + wall)
    return max(free_at)


def utilization(walls: list[float], slots: int, makespan: float) -> float:
    return sum(walls) / (slots * makespan)


def replay(path: Path) -> None:
    with path.open() as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: int(row["number"]))
    walls = [float(row["wall_seconds"]) for row in rows if row.get("wall_seconds")]
    print(f"{path}: {len(walls)} trials, {min(walls):.0f}-{max(walls):.0f} s each")
    print("slots  synchronous batches  slots that free at once")
    for slots in (2, 4, 8):
        before = utilization(walls, slots, synchronous(walls, slots))
        after = utilization(walls, slots, asynchronous(walls, slots))
        print(f"{slots:5d}  {before:19.0%}  {after:23.0%}")


def sweep(python: str) -> None:
    import optuna

    with tempfile.TemporaryDirectory() as tmp:
        storage = f"sqlite:///{tmp}/study.db"
        command = [python, "-m", "mobisweep", *GRID, f"hydra.sweep.dir={tmp}/sweep",
                   f"hydra.sweeper.storage={storage}", "-m"]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                              env={**os.environ, "WANDB_MODE": "offline"})
        seconds = time.perf_counter() - start
        if done.returncode:
            sys.exit(f"the sweep failed:\n{done.stderr[-3000:]}")
        with open(f"{tmp}/sweep/trials.csv") as stream:
            rows = sorted(csv.DictReader(stream), key=lambda row: int(row["number"]))
        trials = optuna.load_study(study_name="slots", storage=storage).get_trials()
    # The sweep's makespan: from the first trial's launch to the last one's end (the start-up's
    # checks and the closing report are the same whatever the slots do).
    makespan = (max(t.datetime_complete for t in trials)
                - min(t.datetime_start for t in trials)).total_seconds()
    walls = [float(row["wall_seconds"]) for row in rows]
    for row in rows:
        print(f"  trial {row['number']}: alpha {row['model.alpha']}, seed {row['config/seed']}: "
              f"{float(row['wall_seconds']):.1f} s")
    print(f"{len(walls)} trials, 2 slots: sum of trial wall {sum(walls):.0f} s, makespan "
          f"{makespan:.0f} s ({seconds:.0f} s with start-up and report): utilization "
          f"{utilization(walls, 2, makespan):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="run the real 2-slot sweep")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter whose mobisweep runs the sweep")
    parser.add_argument("--replay", type=Path, help="a trials.csv with wall_seconds")
    args = parser.parse_args()
    if args.replay:
        replay(args.replay)
    if args.sweep:
        sweep(args.python)
    if not (args.replay or args.sweep):
        parser.error("give --sweep, --replay trials.csv, or both")


if __name__ == "__main__":
    main()
