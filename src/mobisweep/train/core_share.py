"""Trials that share a machine share its cores: each runs ``cores // trials running here`` torch
threads, counted again at every epoch's start.

Torch starts one OpenMP thread per core in every process. Two trials on one machine (two workers
of a study, a second sweep beside a first, the tests beside a sweep) then run twice as many threads
as there are cores, and OpenMP's threads spin while they wait for each other: measured here, two
workers made 0.40x the trials per hour of one (``benchmarks/workers.py``). Each running trial holds
an exclusive lock on its own file in a per-user folder; a trial counts the files that are locked.
The kernel drops the lock of a process that dies, so a killed trial stops counting at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path
from typing import IO, Any

import lightning.pytorch as pl
import torch

REGISTRY = Path(tempfile.gettempdir()) / f"mobisweep-trials-{os.getuid()}"


def machine_cores() -> int:
    """The cores this process may run on (a SLURM job's or taskset's share, not the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class CoreShare:
    """While entered, this process counts as one trial running on the machine."""

    def __init__(self, registry: Path = REGISTRY) -> None:
        self.registry = registry
        self.limit = torch.get_num_threads()
        self._file: IO[bytes] | None = None
        self._path: Path | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Pickled into the processes of ddp_spawn: each joins there on its own (ShareCores.setup).
        return {"registry": self.registry}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["registry"])  # type: ignore[misc]  # rebuilt as when first made

    @property
    def joined(self) -> bool:
        return self._file is not None

    def __enter__(self) -> CoreShare:
        self.join()
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()

    def join(self) -> None:
        """Count as running here, and take this process's share of the cores."""
        # The process's own limit stays a limit (OMP_NUM_THREADS, joblib's share per worker), and
        # is given back on leaving: the next trial of an in-process sweep starts from it again.
        self.limit = torch.get_num_threads()
        self.registry.mkdir(parents=True, exist_ok=True)
        # Locked before it gets the name others count: never taken for a dead trial's file.
        path = self.registry / f"{os.getpid()}.lock"
        self._file = path.with_suffix(".new").open("wb")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        os.replace(self._file.name, path)
        self._path = path
        self.apply()

    def leave(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                assert self._path is not None  # set with the file
                self._path.unlink()
            self._file.close()  # releases the lock
            self._file = None
            torch.set_num_threads(self.limit)

    def running(self) -> int:
        """Trials running on this machine now, this one included."""
        count = 0
        for path in self.registry.glob("*.lock"):
            if path == self._path:
                count += 1
                continue
            try:
                with path.open("rb") as other:
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                count += 1  # its trial holds it: running
            except OSError:
                continue  # removed meanwhile
            else:  # nobody holds it: left by a process that died
                with contextlib.suppress(OSError):
                    path.unlink()
        return max(count, 1)

    def threads(self) -> int:
        return max(1, min(self.limit, machine_cores() // self.running()))

    def apply(self) -> int:
        threads = self.threads()
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        return threads


class ShareCores(pl.Callback):
    """Counts the trials on the machine again before each training epoch and validation."""

    def __init__(self, share: CoreShare) -> None:
        self.share = share
        self._joined_here = False

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if not self.share.joined:  # a process that DDP started: it runs a trial's share too
            self.share.join()
            self._joined_here = True

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._joined_here:
            self.share.leave()
            self._joined_here = False

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.share.apply()

    def on_validation_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self.share.apply()
