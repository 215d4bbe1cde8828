"""The reference sweeps beside the paper, from their committed ``trials.csv`` / ``curves.csv``.

    python -m mobisweep.reference                     # the tables of sweeps/reference/README.md
    python -m mobisweep.reference --plots             # redraw each experiment's figures
    python -m mobisweep.reference --readme sweeps/reference/README.md  # its tables, rewritten
    python -m mobisweep.reference sweeps/reference/fashion_mnist       # an older reference
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mobisweep.config.console import config_errors_exit
from mobisweep.core.atomic_files import write_text
from mobisweep.core.errors import ConfigError
from mobisweep.paper.tables import tables

README_HEAD = "## The tables (`python -m mobisweep.reference`)\n\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.reference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("sweeps/reference"))
    parser.add_argument("--plots", action="store_true",
                        help="redraw each experiment's figures (PNG) into its folder")
    parser.add_argument("--readme", type=Path,
                        help=f"rewrite this README's tables (after its heading {README_HEAD!r})")
    args = parser.parse_args(argv)
    with config_errors_exit():
        if not args.folder.is_dir():
            raise ConfigError("folder", str(args.folder), "no such folder")
        if args.plots:
            from mobisweep.paper.plots import draw_all

            for path in draw_all(args.folder):
                print(path)
            return
        printed = tables(args.folder)
        if args.readme:
            print(write_readme_tables(args.readme, printed))
            return
        print(printed)


def write_readme_tables(readme: Path, printed: str) -> Path:
    """Everything after the README's heading of the tables becomes ``printed``; the rest stays."""
    text = readme.read_text() if readme.is_file() else ""
    if README_HEAD not in text:
        raise ConfigError("--readme", str(readme), f"holds no heading {README_HEAD.strip()!r}")
    head = text[:text.index(README_HEAD) + len(README_HEAD)]
    return write_text(readme, head + printed.rstrip("\n") + "\n", field="--readme")


if __name__ == "__main__":
    main()
