"""SIGTERM ends a trial the way Ctrl-C does: SLURM, a container runtime or ``kill`` sends it first.

Python's default for SIGTERM kills the process where it stands (a sweep's trial stays RUNNING in the
study), and Lightning's own handler only asks the fit loop to stop, which then ends the process with
exit code 0 and no result. Raising an interrupt in the main thread instead lets every layer clean
up as for Ctrl-C: Lightning stops training, the sweeper marks the trial interrupted (retried on the
next run from its checkpoint, not counted as a failure) and the process exits non-zero.
"""

from __future__ import annotations

import signal
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"received {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def raise_on_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated` in the main thread (Lightning chains its handler)."""
    signal.signal(signal.SIGTERM, _raise)
