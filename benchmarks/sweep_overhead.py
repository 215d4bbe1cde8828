"""What a sweep costs beyond training: a small sweep's wall time vs its trials' training time.

Runs `python -m mobisweep +sweep=alpha_rho -m` on a 4-point grid (alpha 0.5, 0.25 x rho 1.0,
0.571; Fashion-MNIST subset, one epoch, latency measured) and splits its wall time into: training
(the trials' `train/seconds`), the rest of each trial (data, validation, latency, W&B, result.json:
`wall_seconds` minus training) and the sweeper itself (start-up, Hydra, Optuna, the end report).

    .venv/bin/python benchmarks/sweep_overhead.py --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = ["+sweep=alpha_rho", "model.alpha=0.5,0.25", "data.rho=1.0,0.571", "data.train_subset=4000",
         "data.val_subset=2000", "trainer.max_epochs=1", "logger.mode=offline",
         "latency.min_runs=20", "latency.max_runs=50", "latency.max_seconds=3"]


def one_sweep(overrides: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mobisweep", *SWEEP, *overrides,
                               "study_name=overhead",
                               f"hydra.sweeper.storage=sqlite:///{tmp}/study.db",
                               f"hydra.sweep.dir={tmp}/sweep", "-m"], cwd=REPO,
                              capture_output=True, text=True,
                              env={**os.environ, "WANDB_MODE": "offline"})
        wall = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(done.stderr[-2000:])
        results = [
            json.loads(p.read_text()) for p in Path(tmp, "sweep").glob("trial_*/result.json")
        ]
    if len(results) != 4:
        raise SystemExit(f"{len(results)} trials finished, not 4")
    training = sum(r["metrics"]["train/seconds"] for r in results)
    trials = sum(r["wall_seconds"] for r in results)
    return {"wall": wall, "training": training, "trial_rest": trials - training,
            "sweeper": wall - trials}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "overrides",
        nargs="*",
        help="more Hydra overrides (a miniature: data=digits data.train_subset=200)",
    )
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; a 4-trial sweep, "
          f"{args.repeats} repeats")
    runs = []
    for _ in range(args.repeats):
        runs.append(one_sweep(args.overrides))
        print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in runs[-1].items()), flush=True)
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"sweep wall time        {median['wall']:7.1f} s (median)")
    print(f"  training             {median['training']:7.1f} s  "
          f"{100 * median['training'] / median['wall']:5.1f} %")
    print(f"  rest of the trials   {median['trial_rest']:7.1f} s  "
          f"{100 * median['trial_rest'] / median['wall']:5.1f} %  (data, validation, latency, W&B)")
    print(f"  sweeper              {median['sweeper']:7.1f} s  "
          f"{100 * median['sweeper'] / median['wall']:5.1f} %  (start-up, Hydra, Optuna, report)")
    print(f"ratio wall / training = {median['wall'] / median['training']:.2f}")


if __name__ == "__main__":
    main()
