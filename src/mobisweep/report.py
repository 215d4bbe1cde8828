"""Trade-off plots of a study: ``report.html`` and PNGs (``mobisweep.results.report``).

    python -m mobisweep.report sweeps/alpha_rho                       # the folder of a sweep
    python -m mobisweep.report postgresql://host/db --study alpha_rho # or a storage URL
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mobisweep.cli import config_errors_exit
from mobisweep.results.report import load_summary, write_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.report",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="a sweep folder (sweeps/<study>) or an Optuna storage URL")
    parser.add_argument("--study", help="the study name (default: the folder's name)")
    parser.add_argument("--out", type=Path, help="where to write (default: the sweep folder)")
    args = parser.parse_args(argv)
    with config_errors_exit():
        summary, out_dir = load_summary(args.target, args.study)
    for path in write_report(summary, args.out or out_dir):
        print(path)


if __name__ == "__main__":
    main()
