"""What every mobisweep command does with bad input: one line naming the field, a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from mobisweep.errors import ConfigError

EXIT_CONFIG_ERROR = 2


@contextmanager
def config_errors_exit() -> Iterator[None]:
    """Turn a ``ConfigError`` into ``mobisweep: error: field=value: reason`` and exit 2."""
    try:
        yield
    except ConfigError as error:
        print(f"mobisweep: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
