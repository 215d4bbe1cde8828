"""Trials per hour with 1 vs 2 local workers sharing one study (a journal file), on a cheap trial.

Each worker is a real `python -m mobisweep +sweep=alpha_rho ... -m` process; the trial is tiny
(digits, 300 images, one epoch, no latency) so that the sweeper, Hydra and the storage show. The
grid is the 16-point alpha x rho grid; runs alternate 1, 2, 1, 2 ... workers and report medians.

    .venv/bin/python benchmarks/workers.py --repeats 2
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = ["+sweep=alpha_rho", "data=digits", "data.train_subset=300", "trainer.max_epochs=1",
        "latency=none", "logger.mode=offline", "hydra.sweeper.heartbeat_interval=2"]


def sweep(workers: int) -> float:
    """Wall seconds for ``workers`` processes to finish the 16-point grid together."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "mobisweep", *TINY, "study_name=bench",
                   f"hydra.sweeper.storage=journal:///{tmp}/journal.log",
                   f"hydra.sweep.dir={tmp}/sweep", "-m"]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                command,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "WANDB_MODE": "offline"},
            )
            for _ in range(workers)
        ]
        codes = [p.wait() for p in procs]
        seconds = time.perf_counter() - start
        if any(codes):
            raise SystemExit(f"a worker failed: exit codes {codes}")
        done = len(list(Path(tmp, "sweep").glob("trial_*/result.json")))
        if done != 16:
            raise SystemExit(f"{done} trials finished, not 16")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; 16 trials per sweep")
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeats):
        for workers in (1, 2):
            seconds[workers].append(sweep(workers))
            print(f"  {workers} worker(s): {seconds[workers][-1]:.1f} s", flush=True)
    per_hour = {w: 3600 * 16 / statistics.median(s) for w, s in seconds.items()}
    for workers, rate in per_hour.items():
        print(f"{workers} worker(s): {rate:6.0f} trials/hour (median of {args.repeats})")
    print(f"speed-up of 2 workers over 1 = {per_hour[2] / per_hour[1]:.2f}x")


if __name__ == "__main__":
    main()
