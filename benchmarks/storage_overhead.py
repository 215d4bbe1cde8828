"""What one trial costs the study storage: claim (under the study lock) + tell, per storage.

A trial's round trip through mobisweep's sweeper loop, without the training: take the study lock,
fail stale trials, claim a trial (ask + suggest), tell its objectives. On SQLite, a journal file
and PostgreSQL (a throwaway server on 127.0.0.1 from Debian's binaries, or --postgres URL with
PGPASSWORD set). Medians over trials, per storage, measured side by side in one process.

    .venv/bin/python benchmarks/storage_overhead.py --trials 100
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.services: a local PostgreSQL

from mobisweep.sweep.space import parse_search_space  # noqa: E402
from mobisweep.sweep.storage import open_storage  # noqa: E402
from mobisweep.sweep.study import claim_trials, open_study  # noqa: E402
from mobisweep.sweep.workers import fail_stale_trials, study_lock  # noqa: E402

SPACE = {"model.alpha": "interval(0.25, 1.25)", "data.rho": "interval(0.5, 1.0)",
         "model.depth": "range(0, 6)"}


def round_trips(url: str, trials: int) -> list[float]:
    """Seconds per trial of lock + stale check + claim + tell, on a fresh study at ``url``."""
    storage = open_storage(url, heartbeat_interval=60)
    space = parse_search_space(SPACE)
    study = open_study("overhead", storage, ["maximize", "minimize"],
                       optuna.samplers.RandomSampler(seed=0), space, ["a", "b"], url=url)
    seconds = []
    for _ in range(trials):
        start = time.perf_counter()
        with study_lock(storage, url, "overhead"):
            fail_stale_trials(study, 120)
            claim = claim_trials(study, space, grid=False, n_trials=trials, n_jobs=1,
                                 max_retries=0)
        trial = claim.trials[0]
        study.tell(trial, values=[trial.params["model.alpha"], trial.params["data.rho"]])
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--postgres", help="postgresql://user@host/db (default: start one here)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, optuna {optuna.__version__}, "
          f"{args.trials} trials per storage")
    stop = None
    postgres = args.postgres
    if postgres is None:
        from tests.support.services import start_postgres

        server, stop = start_postgres()
        os.environ["PGPASSWORD"] = server.password
        postgres = server.url(server.create_database("overhead"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = {"sqlite": f"sqlite:///{tmp}/study.db",
                    "journal": f"journal:///{tmp}/journal.log",
                    "postgresql": postgres}
            results = {name: round_trips(url, args.trials) for name, url in urls.items()}
    finally:
        if stop:
            stop()
    base = statistics.median(results["sqlite"])
    for name, seconds in results.items():
        median = statistics.median(seconds)
        # The study grows as trials are told: the last tenth shows how the cost scales with it.
        late = statistics.median(seconds[-max(1, len(seconds) // 10):])
        print(f"{name:11s} median {1000 * median:7.1f} ms per trial (last tenth {1000 * late:7.1f} "
              f"ms), {median / base:.2f}x SQLite")


if __name__ == "__main__":
    main()
