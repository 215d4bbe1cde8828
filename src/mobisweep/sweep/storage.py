"""Study storages by URL, with passwords kept out of logs and errors.

* ``postgresql://user@host/db`` (many machines; password from ``PGPASSWORD`` or ``~/.pgpass``),
  ``mysql://...`` and ``sqlite:///path.db`` (one worker): Optuna's RDB storage, with heartbeats.
* ``journal:///path.log`` (relative) or ``journal:////abs/path.log``: Optuna's journal file, for
  several workers on one machine or a shared file system without a server.
* ``None``: in memory (one process, nothing kept).

How several workers share a study (its lock, heartbeats, dead workers) is ``workers``.
"""

from __future__ import annotations

import contextlib
import re
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

from mobisweep.core.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection

JOURNAL_PREFIX = "journal:///"
# How long a process waits for a SQLite study that another one holds locked (seconds).
SQLITE_BUSY_TIMEOUT_S = 60
SCHEMA_LOCK_KEY = zlib.crc32(b"mobisweep:schema")


def _database_url(url: str | None) -> URL | None:
    """SQLAlchemy's parse of a database URL; None for no URL, a journal file or an unparsable
    one."""
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


def absolute_url(url: str) -> str:
    """The same storage named from any working directory (a trial may run in another process)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
        return "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
    if url.startswith(JOURNAL_PREFIX) and not url.startswith(JOURNAL_PREFIX + "/"):
        return JOURNAL_PREFIX + str(journal_path(url).resolve())
    return url


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
    from sqlalchemy import create_engine

    engine = create_engine(url, **_engine_kwargs(url))
    try:
        with engine.connect() as connection, server_lock(connection, "postgresql",
                                                           SCHEMA_LOCK_KEY):
            yield
    finally:
        engine.dispose()


@contextlib.contextmanager
def server_lock(connection: Connection, dialect: str, key: int) -> Iterator[None]:
    """A lock the database server holds for this connection: PostgreSQL's advisory lock or
    MySQL's named lock; other clients of the same key wait."""
    from sqlalchemy import text

    if dialect == "postgresql":
        take, release = "SELECT pg_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)"
        value: int | str = key
    elif dialect in ("mysql", "mariadb"):
        take, release = "SELECT GET_LOCK(:key, -1)", "SELECT RELEASE_LOCK(:key)"
        value = str(key)
    else:
        raise ConfigError("hydra.sweeper.storage", dialect,
                          "multi-worker studies need PostgreSQL, MySQL, SQLite or a journal file")
    connection.execute(text(take), {"key": value})
    try:
        yield
    finally:
        connection.execute(text(release), {"key": value})
        connection.commit()


def _engine_kwargs(url: str) -> dict:
    if url.startswith("postgresql"):
        # A dead server fails in seconds, not after the OS's TCP timeout.
        return {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    if url.startswith("sqlite") and "timeout=" not in url:
        # Workers on one machine take turns at SQLite's single write lock, and a report or a backup
        # may hold it for a while: a busy study is waited for (sqlite3's own wait is 5 s). The URL's
        # ?timeout=<seconds> sets another wait; every process of the sweep reads the same URL.
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    return {}


def _first_line(error: BaseException, url: str) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [ln.strip() for ln in str(cause).splitlines() if ln.strip()]
    line = scrub(lines[0] if lines else type(cause).__name__, url)
    if url.startswith("sqlite") and "database is locked" in line:
        wait = url.split("timeout=", 1)[1].split("&")[0] if "timeout=" in url \
            else SQLITE_BUSY_TIMEOUT_S
        line += (f" by another process for longer than the {wait} s waited (a longer wait: "
                 "?timeout=<seconds> on the sqlite URL)")
    return line
