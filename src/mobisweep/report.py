"""Trade-off plots of a study: ``report.html`` and PNGs (``mobisweep.results.report_page``).

    python -m mobisweep.report sweeps/alpha_rho                       # the folder of a sweep
    python -m mobisweep.report sweeps/reference/alpha_rho/trials.csv  # a committed trials.csv
    python -m mobisweep.report postgresql://host/db --study alpha_rho # or a storage URL
    python -m mobisweep.report sweeps/alpha_rho --export DIR          # trials.csv, curves.csv
    python -m mobisweep.report sweeps/alpha_rho --watch 30            # a running sweep, live

Reading never writes: a folder without a study is refused, not given an empty ``study.db``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from mobisweep.config.console import config_errors_exit
from mobisweep.core.errors import ConfigError
from mobisweep.paper.plots import beside_paper
from mobisweep.results.report_page import write_report
from mobisweep.results.sources import open_summary
from mobisweep.results.trials_csv import TRIALS_FILE, write_trials_csv


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
    parser.add_argument("--watch", type=float, metavar="SECONDS",
                        help="look at the study every SECONDS and rewrite the report whenever a "
                             "trial has ended; the page reloads itself (until Ctrl-C)")
    args = parser.parse_args(argv)
    if args.watch is not None:
        with config_errors_exit():
            if not args.watch > 0:
                raise ConfigError("--watch", args.watch, "must be a number of seconds > 0")
            watch(args)
        return
    with config_errors_exit():
        summary, out_dir = open_summary(args.target, args.study)
    if args.export:  # the trials begun so far: a grid's queued points are not records yet
        begun = replace(summary, rows=[r for r in summary.rows if r.state != "WAITING"])
        print(write_trials_csv(begun, args.export / TRIALS_FILE))
        return
    for path in write_report(summary, args.out or out_dir, args.include_noisy_latency,
                             beside=beside_paper):
        print(path)


def watch(args: argparse.Namespace) -> None:
    """A live view that cannot harm the sweep: it only reads the study (SQLite's readers wait their
    turn, and the sweep's writers wait for them: ``storage.SQLITE_BUSY_TIMEOUT_S``), and the page
    is replaced whole (``files.write_atomic``), so a browser never loads half of it."""
    seen: tuple | None = None
    try:
        while True:
            summary, out_dir = open_summary(args.target, args.study)
            ended = tuple((r.number, r.state) for r in summary.rows
                          if r.state not in ("RUNNING", "WAITING"))
            if ended != seen:
                written = write_report(summary, args.out or out_dir, args.include_noisy_latency,
                                       reload_s=args.watch, beside=beside_paper)
                print(f"{time.strftime('%H:%M:%S')} {len(ended)} trials ended: {written[0]}",
                      flush=True)
                seen = ended
            time.sleep(args.watch)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
