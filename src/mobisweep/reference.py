"""The reference sweeps beside the paper, from committed ``trials.csv`` / ``curves.csv`` files alone.

    python -m mobisweep.reference                              # the tables of sweeps/reference/README.md
    python -m mobisweep.reference --plots                      # redraw each experiment's figures
    python -m mobisweep.reference sweeps/reference/fashion_mnist   # an older reference
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mobisweep.config.console import config_errors_exit
from mobisweep.core.errors import ConfigError
from mobisweep.paper.tables import tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.reference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("sweeps/reference"))
    parser.add_argument("--plots", action="store_true",
                        help="redraw each experiment's figures (PNG) into its folder")
    args = parser.parse_args(argv)
    with config_errors_exit():
        if not args.folder.is_dir():
            raise ConfigError("folder", str(args.folder), "no such folder")
        if args.plots:
            from mobisweep.paper.plots import draw_all

            for path in draw_all(args.folder):
                print(path)
            return
        print(tables(args.folder))


if __name__ == "__main__":
    main()
