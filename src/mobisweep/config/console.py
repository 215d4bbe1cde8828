"""What every mobisweep command does with bad input (one line naming the field, a non-zero exit),
and where its tables go (a console that never cuts a figure)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from mobisweep.core.errors import ConfigError

EXIT_CONFIG_ERROR = 2
# Output that is not a terminal (a SLURM or CI log, a pipe) has no width: Rich would assume 80
# columns and cut figures (`2.7…`). There a table is as wide as its contents.
UNBOUNDED_WIDTH = 10_000


@contextmanager
def config_errors_exit() -> Iterator[None]:
    """Turn a ``ConfigError`` into ``mobisweep: error: field=value: reason`` and exit 2."""
    try:
        yield
    except ConfigError as error:
        print(f"mobisweep: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)


def output_console() -> Console:
    """Rich's console for mobisweep's tables: the terminal's width, or ``COLUMNS``, or unbounded."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return Console()
    return Console(width=UNBOUNDED_WIDTH)
