"""Study storages by URL, a study-wide lock, and heartbeats that outlive no worker.

* ``postgresql://user@host/db`` (many machines; password from ``PGPASSWORD`` or ``~/.pgpass``),
  ``mysql://...`` and ``sqlite:///path.db`` (one worker): Optuna's RDB storage, with heartbeats.
* ``journal:///path.log`` (relative) or ``journal:////abs/path.log``: Optuna's journal file, for
  several workers on one machine or a shared file system without a server. It has no native
  heartbeats, so mobisweep records its own in a trial attribute.
* ``None``: in memory (one process, nothing kept).

Every worker asks for trials under :func:`study_lock`, so a grid point is queued once and each queued
trial is popped by one worker, however many workers share the study.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING
from pathlib import Path

import optuna
from filelock import FileLock
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from optuna.trial import TrialState

from mobisweep.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

JOURNAL_PREFIX = "journal:///"
HEARTBEAT_ATTR = "mobisweep:heartbeat"  # unix time, on storages without native heartbeats
SCHEMA_LOCK_KEY = zlib.crc32(b"mobisweep:schema")
# mobisweep beats from its own ask/tell loop, on purpose, not from Study.optimize.
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")


def _database_url(url: str | None) -> URL | None:
    """SQLAlchemy's parse of a database URL; None for no URL, a journal file or an unparsable one."""
    if not url or "://" not in url or url.startswith(JOURNAL_PREFIX):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except ArgumentError:
        return None


# ``user:password@`` in anything that looks like a URL, parsed or not (``postgres:/u:p@host``).
_CREDENTIALS = re.compile(r"(?P<user>[^\s:/@'\"]+):(?P<password>[^\s@'\"]+)@")


def masked(url: str | None) -> str:
    """The URL with its password replaced by ``***``: safe for logs and error messages."""
    if not url:
        return "in memory"
    if url.startswith(JOURNAL_PREFIX):
        return url
    parsed = _database_url(url)
    if parsed is not None:
        return parsed.render_as_string(hide_password=True)
    return _CREDENTIALS.sub(r"\g<user>:***@", url)


def scrub(text: str, url: str | None) -> str:
    """``text`` without the URL's password, wherever a driver may have echoed it."""
    parsed = _database_url(url)
    if parsed is not None and parsed.password:
        text = text.replace(str(parsed.password), "***")
    elif url:
        for match in _CREDENTIALS.finditer(url):
            # The greedy match of a malformed URL may hold the user too (``/user:secret``).
            for secret in {match["password"], match["password"].rsplit(":", 1)[-1]}:
                text = text.replace(secret, "***")
    return _CREDENTIALS.sub(r"\g<user>:***@", text)


def journal_path(url: str) -> Path:
    return Path(url.removeprefix(JOURNAL_PREFIX))


def check_no_password(url: str | None) -> None:
    """Refuse a password written into the storage URL: Hydra saves the command line's overrides in
    the run folder (.hydra/overrides.yaml, multirun.yaml), so it would land on disk in clear."""
    parsed = _database_url(url)
    if parsed is not None and parsed.password:
        raise ConfigError("hydra.sweeper.storage", masked(url),
                          "no password in the URL (Hydra saves it in the run folder): set "
                          "PGPASSWORD or ~/.pgpass (MySQL: ?read_default_file=~/.my.cnf)")


def open_storage(url: str | None, heartbeat_interval: int | None = 60,
                 grace_period: int | None = None) -> BaseStorage | None:
    """The Optuna storage of ``url``; a storage that cannot be reached is a one-line ConfigError."""
    if not url:
        return None
    if heartbeat_interval is not None and heartbeat_interval < 1:
        raise ConfigError("hydra.sweeper.heartbeat_interval", heartbeat_interval, "must be >= 1 s")
    if url.startswith(JOURNAL_PREFIX):
        path = journal_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = JournalFileOpenLock(str(path))
        return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    given = url
    if url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 (mobisweep[dist]), whatever SQLAlchemy's default driver for the scheme.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        # Passing the bare URL would let Optuna's RDB storage print it on failure; build it here.
        with _schema_lock(url), warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(url, heartbeat_interval=heartbeat_interval,
                              grace_period=grace_period, engine_kwargs=_engine_kwargs(url))
    except Exception as error:  # noqa: BLE001 - drivers raise their own types (psycopg2, sqlite3)
        raise ConfigError("hydra.sweeper.storage", masked(given), _first_line(error, url)) from None


@contextlib.contextmanager
def _schema_lock(url: str) -> Iterator[None]:
    """On PostgreSQL, one worker at a time creates Optuna's tables: workers started together would
    otherwise race in CREATE TABLE (a duplicate key error on pg_type)."""
    if not url.startswith("postgresql"):
        yield
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url, **_engine_kwargs(url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": SCHEMA_LOCK_KEY})
    finally:
        engine.dispose()


def _engine_kwargs(url: str) -> dict:
    if url.startswith("postgresql"):
        # A dead server fails in seconds, not after the OS's TCP timeout.
        return {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    return {}


def _first_line(error: BaseException, url: str) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [ln.strip() for ln in str(cause).splitlines() if ln.strip()]
    return scrub(lines[0] if lines else type(cause).__name__, url)


@contextlib.contextmanager
def study_lock(storage: BaseStorage | None, url: str | None, study_name: str) -> Iterator[None]:
    """Hold a lock that every worker of ``study_name`` on this storage respects."""
    if storage is None:
        yield
        return
    if isinstance(storage, JournalStorage):
        lock = JournalFileOpenLock(f"{journal_path(url)}.{study_name}")
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
        return
    assert isinstance(storage, RDBStorage)
    dialect = storage.engine.dialect.name
    if dialect == "sqlite":
        database = storage.engine.url.database
        lock = FileLock(f"{database}.{study_name}.lock") if database not in (None, "", ":memory:") \
            else contextlib.nullcontext()
        with lock:
            yield
        return
    from sqlalchemy import text

    key = zlib.crc32(f"mobisweep:{study_name}".encode())
    with storage.engine.connect() as connection:
        if dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            release = text("SELECT pg_advisory_unlock(:key)")
        elif dialect in ("mysql", "mariadb"):
            connection.execute(text("SELECT GET_LOCK(:key, -1)"), {"key": str(key)})
            release = text("SELECT RELEASE_LOCK(:key)")
        else:
            raise ConfigError("hydra.sweeper.storage", dialect,
                              "multi-worker studies need PostgreSQL, MySQL, SQLite or a journal file")
        try:
            yield
        finally:
            connection.execute(release, {"key": key if dialect == "postgresql" else str(key)})
            connection.commit()


def detects_dead_workers(storage: BaseStorage | None) -> bool:
    """Whether :func:`fail_stale_trials` can tell a dead worker's trial from a live one here."""
    return has_native_heartbeat(storage) or isinstance(storage, JournalStorage)


def has_native_heartbeat(storage: BaseStorage | None) -> bool:
    # A study wraps an RDB storage in Optuna's cache, which keeps the heartbeat API: ask for that
    # API, not for the RDBStorage class.
    return isinstance(storage, BaseHeartbeat) and storage.get_heartbeat_interval() is not None


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

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def add(self, trial_id: int) -> None:
        with self._lock:
            self.trial_ids.add(trial_id)
        self._record(trial_id)

    def remove(self, trial_id: int) -> None:
        with self._lock:
            self.trial_ids.discard(trial_id)

    def _record(self, trial_id: int) -> None:
        storage = self.study._storage
        with contextlib.suppress(Exception):  # a missed beat is retried; the trial is not lost
            if has_native_heartbeat(storage):
                storage.record_heartbeat(trial_id)
            elif storage.get_trial(trial_id).state == TrialState.RUNNING:
                storage.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                ids = list(self.trial_ids)
            for trial_id in ids:
                self._record(trial_id)


def fail_stale_trials(study: optuna.Study, grace_period: float) -> list[int]:
    """Mark RUNNING trials whose worker stopped beating as FAIL; returns their numbers.

    Call it under :func:`study_lock`: then exactly one worker fails (and re-queues) each trial.
    """
    storage = study._storage
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
        beat = trial.system_attrs.get(HEARTBEAT_ATTR)
        if beat is not None and now - float(beat) > grace_period:
            with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
                if storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                    failed.append(trial.number)
    return failed
