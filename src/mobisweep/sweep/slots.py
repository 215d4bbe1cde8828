"""Trial slots: a slot that frees launches the next trial at once, instead of waiting for a batch.

Hydra's ``Launcher.launch`` takes a batch and returns when all of it is done, so a sweep that
launches ``n_jobs`` trials at a time leaves a slot idle until the slowest trial of its batch ends
(a 0.25 MobileNet finishes several times sooner than a 1.0). Here each slot is a thread that hands
the launcher a batch of one trial: the configured launcher (joblib's worker processes, submitit's
SLURM or local jobs, any other) still runs every trial and writes the same folders, while the
sweeper claims a new trial the moment any slot frees.

One slot, or Hydra's basic launcher, runs the trial in the sweeper's own main thread, as before:
that launcher runs the task in-process, where only the main thread can take Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Hashable, Sequence
from typing import Any

from hydra.plugins.launcher import Launcher

from mobisweep.sweep.launcher_adapter import kill_joblib_workers, runs_in_process


class Slots:
    """``size`` trials in flight at once; :meth:`wait` returns each one's outcome as it ends."""

    def __init__(self, launcher: Launcher, size: int) -> None:
        self.launcher = launcher
        self.size = 1 if runs_in_process(launcher) else max(1, size)
        self.running: set[Hashable] = set()  # the keys of the trials in flight
        self._done: queue.Queue[tuple[Hashable, Any]] = queue.Queue()

    @property
    def free(self) -> int:
        return self.size - len(self.running)

    @property
    def busy(self) -> int:
        return len(self.running)

    def start(self, key: Hashable, overrides: Sequence[str], job_idx: int) -> None:
        """Launch one trial; its outcome (a JobReturn, or the launcher's exception) comes back
        from :meth:`wait` under ``key``."""
        if self.free < 1:
            raise RuntimeError("no free slot")  # the sweeper claims only as many as are free
        if self.size == 1:  # in the main thread: signals reach the trial as before
            self.running.add(key)
            self._done.put((key, self._launch(overrides, job_idx)))
            return
        thread = threading.Thread(target=lambda: self._done.put(
            (key, self._launch(overrides, job_idx))), name=f"mobisweep-slot-{job_idx}", daemon=True)
        self.running.add(key)
        thread.start()

    def _launch(self, overrides: Sequence[str], job_idx: int) -> Any:
        try:
            (ret,) = self.launcher.launch([list(overrides)], initial_job_idx=job_idx)
            return ret
        except Exception as error:  # noqa: BLE001 - handed to the sweeper, which decides
            return error
        except BaseException as error:
            if self.size == 1:
                raise  # Ctrl-C in the main thread stays an interrupt of the sweep
            return error

    def wait(self, timeout: float | None) -> list[tuple[Hashable, Any]]:
        """The trials that ended: blocks up to ``timeout`` seconds for the first, then takes every
        other that has ended too. An empty list when none ended in time."""
        ended = []
        try:
            ended.append(self._done.get(timeout=timeout) if timeout else self._done.get_nowait())
            while True:
                ended.append(self._done.get_nowait())
        except queue.Empty:
            pass
        for key, _ in ended:
            self.running.discard(key)
        return ended

    def stop(self) -> None:
        """Stop what still runs here after an interrupt. joblib's worker processes are killed (as
        joblib does when its own batch is interrupted); submitit's jobs are the cluster's to end,
        and their trials, no longer beating, are failed and resumed by the next worker."""
        if self.size == 1 or not self.running:
            return
        kill_joblib_workers(self.launcher)
        self.running.clear()
