"""Many workers on one study: a study-wide lock, heartbeats that outlive no worker, and the trials
of dead workers failed (and so queued again).

Every worker asks for trials under :func:`study_lock`, so a grid point is queued once and each
queued trial is popped by one worker, however many workers share the study. A journal file has no
heartbeats of its own, so mobisweep records its own in a trial attribute.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from typing import Any, cast

import optuna
from filelock import FileLock
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileOpenLock
from optuna.trial import TrialState

from mobisweep.sweep.optuna_adapter import has_native_heartbeat, mark_failed, storage_of, trial_id
from mobisweep.sweep.storage import journal_path, server_lock
from mobisweep.sweep.trial_attrs import HEARTBEAT


@contextlib.contextmanager
def study_lock(storage: BaseStorage | None, url: str | None, study_name: str) -> Iterator[None]:
    """Hold a lock that every worker of ``study_name`` on this storage respects."""
    if storage is None:
        yield
        return
    if isinstance(storage, JournalStorage):
        assert url is not None  # a journal storage is opened from its URL
        journal_lock = JournalFileOpenLock(f"{journal_path(url)}.{study_name}")
        journal_lock.acquire()
        try:
            yield
        finally:
            journal_lock.release()
        return
    assert isinstance(storage, RDBStorage)
    dialect = storage.engine.dialect.name
    if dialect == "sqlite":
        database = storage.engine.url.database
        lock: contextlib.AbstractContextManager[Any] = (
            FileLock(f"{database}.{study_name}.lock")
            if database not in (None, "", ":memory:") else contextlib.nullcontext())
        with lock:
            yield
        return
    key = zlib.crc32(f"mobisweep:{study_name}".encode())
    with storage.engine.connect() as connection, server_lock(connection, dialect, key):
        yield


def detects_dead_workers(storage: BaseStorage | None) -> bool:
    """Whether :func:`fail_stale_trials` can tell a dead worker's trial from a live one here."""
    return has_native_heartbeat(storage) or isinstance(storage, JournalStorage)


class Heartbeat:
    """Keeps the trials this worker runs alive in the storage, from a background thread.

    RDB storages get Optuna's own heartbeat (``record_heartbeat``); a journal file gets a trial
    attribute with the time. Another worker that finds a RUNNING trial silent for longer than the
    grace period marks it FAIL (:func:`fail_stale_trials`) and queues it again.
    """

    def __init__(self, study: optuna.Study, interval: float) -> None:
        self.study, self.interval = study, interval
        self.trial_ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="mobisweep-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def add(self, trial: optuna.Trial) -> None:
        with self._lock:
            self.trial_ids.add(trial_id(trial))
        self._record(trial_id(trial))

    def remove(self, trial: optuna.Trial) -> None:
        with self._lock:
            self.trial_ids.discard(trial_id(trial))

    def _record(self, ident: int) -> None:
        storage = storage_of(self.study)
        with contextlib.suppress(Exception):  # a missed beat is retried; the trial is not lost
            if has_native_heartbeat(storage):
                cast(BaseHeartbeat, storage).record_heartbeat(ident)
            elif storage.get_trial(ident).state == TrialState.RUNNING:
                storage.set_trial_system_attr(ident, HEARTBEAT, time.time())

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = list(self.trial_ids)
            for ident in ids:
                self._record(ident)


def fail_stale_trials(study: optuna.Study, grace_period: float) -> list[int]:
    """Mark RUNNING trials whose worker stopped beating as FAIL; returns their numbers.

    Call it under :func:`study_lock`: then exactly one worker fails (and re-queues) each trial.
    """
    storage = storage_of(study)
    if has_native_heartbeat(storage):
        before = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
        with warnings.catch_warnings():  # experimental since Optuna 2.9, and what we need
            warnings.simplefilter("ignore")
            optuna.storages.fail_stale_trials(study)
        after = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))}
        return sorted(before & after)
    if not isinstance(storage, JournalStorage):
        return []
    failed = []
    now = time.time()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        beat = trial.system_attrs.get(HEARTBEAT)
        if beat is not None and now - float(beat) > grace_period:
            if mark_failed(study, trial):
                failed.append(trial.number)
    return failed
