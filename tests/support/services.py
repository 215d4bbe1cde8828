"""A real PostgreSQL server on loopback for the multi-worker tests: Debian's binaries, a throwaway
cluster in a temporary folder, password authentication (scram), stopped at the end of the
session."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str, password: bool = False) -> str:
        """The storage URL; without the password unless asked (the password goes in PGPASSWORD)."""
        secret = f":{self.password}" if password else ""
        return f"postgresql://{self.user}{secret}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            cursor = connection.cursor()
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        return name


def find_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_postgres() -> tuple[Postgres, callable]:
    """Start a cluster; returns it and the function that stops it. Raises RuntimeError with why."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    # PostgreSQL refuses to run as root: as root, run it as Debian's postgres user.
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no 'postgres' user") from None
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="mobisweep-pg-"))
    password = secrets.token_urlsafe(16)
    (root / "pw").write_text(password + "\n")
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(root / "pw", owner.pw_uid, owner.pw_gid)
    data, port = root / "data", _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {(done.stderr or done.stdout).strip()[-500:]}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "mobisweep", "--auth=scram-sha-256",
        f"--pwfile={root / 'pw'}", "-E", "UTF8")
    (root / "pw").unlink()
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
        "-o", f"-h 127.0.0.1 -p {port} -k {root} -c max_connections=200 -c fsync=off", "start")

    def stop() -> None:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)

    return Postgres("127.0.0.1", port, "mobisweep", password), stop
