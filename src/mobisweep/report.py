"""Trade-off plots of a study: ``report.html`` and PNGs (``mobisweep.results.report``).

    python -m mobisweep.report sweeps/alpha_rho                       # the folder of a sweep
    python -m mobisweep.report sweeps/reference/alpha_rho/trials.csv  # a committed trials.csv
    python -m mobisweep.report postgresql://host/db --study alpha_rho # or a storage URL
    python -m mobisweep.report sweeps/alpha_rho --export DIR          # trials.csv, curves.csv so far

Reading never writes: a folder without a study is refused, not given an empty ``study.db``.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from mobisweep.cli import config_errors_exit
from mobisweep.results import open_summary, write_report, write_trials_csv
from mobisweep.results.trials_csv import TRIALS_FILE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.report",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="a sweep folder (sweeps/<study>), a trials.csv, or an "
                                       "Optuna storage URL")
    parser.add_argument("--study", help="the study name (default: the storage's only study, else "
                                        "the folder's name)")
    parser.add_argument("--out", type=Path, help="where to write (default: the sweep folder)")
    parser.add_argument("--include-noisy-latency", action="store_true",
                        help="let latencies whose spread never settled on the latency front")
    parser.add_argument("--export", type=Path, metavar="DIR",
                        help="write only trials.csv and curves.csv into DIR: a running sweep's "
                             "record so far (a trial still running as RUNNING), e.g. to commit")
    args = parser.parse_args(argv)
    with config_errors_exit():
        summary, out_dir = open_summary(args.target, args.study)
    if args.export:  # the trials begun so far: a grid's queued points are not records yet
        begun = replace(summary, rows=[r for r in summary.rows if r.state != "WAITING"])
        print(write_trials_csv(begun, args.export / TRIALS_FILE))
        return
    for path in write_report(summary, args.out or out_dir, args.include_noisy_latency):
        print(path)


if __name__ == "__main__":
    main()
