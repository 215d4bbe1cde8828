"""A real one-node SLURM cluster on loopback for the cluster tests: Debian's munge, slurmctld,
slurmd and slurmdbd (with a throwaway MariaDB, so that ``sacct``, which submitit polls, answers),
all with their state, sockets and logs in one temporary folder, on private ports, torn down at the
end.

No cgroups and no systemd: ``proctrack/linuxproc`` and ``task/none`` track a job's processes by
their parent, which is all a one-node cluster in a container needs. Every daemon runs as root, so
the cluster can only start where the tests run as root (CI does).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BINARIES = ("munged", "mungekey", "slurmctld", "slurmd", "slurmdbd", "sbatch", "sacct",
            "sacctmgr", "mariadbd", "mariadb-install-db")
PACKAGES = "munge slurmctld slurmd slurm-client slurmdbd mariadb-server"
PARTITION = "debug"


@dataclass(frozen=True)
class Slurm:
    root: Path
    conf: Path
    node: str
    partition: str = PARTITION

    @property
    def env(self) -> dict[str, str]:
        """What every SLURM command, and every job, needs to find this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def run(self, *command: str, timeout: float = 60) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **self.env})
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {(done.stderr or done.stdout).strip()}")
        return done.stdout

    def job(self, job_id: str) -> dict[str, str]:
        """``scontrol show job``'s record as KEY: value pairs (Restarts, JobState, ...)."""
        fields = {}
        for word in self.run("scontrol", "show", "job", "-o", job_id).split():
            key, _, value = word.partition("=")
            fields.setdefault(key, value)
        return fields

    def jobs(self) -> list[str]:
        """The ids of the jobs the controller knows, oldest first."""
        out = self.run("squeue", "-h", "-t", "all", "-o", "%i")
        return sorted(out.split(), key=int)


def _binary(name: str) -> str:
    """Debian puts the daemons in /usr/sbin, which a non-login PATH may lack."""
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kill_cluster_processes(conf: Path) -> None:
    """Whatever still runs with this cluster's SLURM_CONF (slurmstepd, a job's processes): the
    kernel's view, since a job outlives the slurmd that started it."""
    marker = f"SLURM_CONF={conf}".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                os.kill(int(environ.parent.name), 9)
        except (OSError, ValueError):
            continue


def _wait(condition: Callable[[], bool], what: str, log: Path | None, seconds: float = 30,
          check: bool = True) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    if not check:
        return
    tail = log.read_text()[-800:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} did not come up in {seconds:.0f} s: {tail}")


def start_slurm() -> tuple[Slurm, Callable[[], None]]:
    """Start the cluster; returns it and the function that stops it. Raises RuntimeError with
    why."""
    missing = [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)} (Debian: apt-get install {PACKAGES})")
    if os.geteuid() != 0:
        raise RuntimeError("the SLURM and munge daemons of a private cluster run as root")
    root = Path(tempfile.mkdtemp(prefix="mobisweep-slurm-"))
    node = socket.gethostname().split(".")[0]
    ports = {name: _free_port() for name in ("ctld", "slurmd", "dbd", "db")}
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    processes: list[subprocess.Popen] = []

    def daemon(*command: str, log: str) -> None:
        processes.append(
            subprocess.Popen(
                [_binary(command[0]), *command[1:]],
                env=env,
                stdout=(root / log).open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def run(*command: str) -> None:
        done = subprocess.run([_binary(command[0]), *command[1:]], env=env, capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(
                f"{command[0]} failed: {(done.stderr or done.stdout).strip()[-500:]}"
            )

    def stop() -> None:
        # Jobs first: a daemon stopped under a running job would leave its processes behind.
        if processes:
            subprocess.run([_binary("scancel"), "--user=root"], env=env, capture_output=True)
            _wait(
                lambda: (
                    not subprocess.run(
                        [_binary("squeue"), "-h", "-t", "RUNNING,COMPLETING"],
                        env=env,
                        capture_output=True,
                        text=True,
                    ).stdout.strip()
                ),
                "the end of the jobs",
                None,
                seconds=30,
                check=False,
            )
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        _kill_cluster_processes(root / "slurm.conf")
        shutil.rmtree(root, ignore_errors=True)

    try:
        # munge: the key and the socket every daemon and command authenticates through
        munge = root / "munge.socket"
        run("mungekey", "--create", "--keyfile", str(root / "munge.key"))
        daemon("munged", "--foreground", "--force", f"--key-file={root / 'munge.key'}",
               f"--socket={munge}", f"--pid-file={root / 'munged.pid'}",
               f"--seed-file={root / 'munged.seed'}", f"--log-file={root / 'munged.log'}",
               log="munged.out")
        _wait(munge.exists, "munged", root / "munged.out")
        # MariaDB and slurmdbd: the accounting store behind sacct
        run("mariadb-install-db", f"--datadir={root / 'db'}", "--user=root",
            "--auth-root-authentication-method=socket", "--skip-test-db")
        daemon("mariadbd", f"--datadir={root / 'db'}", f"--socket={root / 'mysql.sock'}",
               f"--port={ports['db']}", "--bind-address=127.0.0.1", "--user=root",
               f"--pid-file={root / 'mysql.pid'}", "--skip-log-bin",
               "--innodb-buffer-pool-size=32M", log="mariadb.out")
        _wait(lambda: (root / "mysql.sock").exists(), "mariadbd", root / "mariadb.out")
        run("mariadb", f"--socket={root / 'mysql.sock'}", "-u", "root", "-e",
            "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm'; "
            "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';")
        dbd = root / "slurmdbd.conf"
        dbd.write_text(f"""AuthType=auth/munge
AuthInfo=socket={munge}
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={ports['dbd']}
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={ports['db']}
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
PidFile={root / 'slurmdbd.pid'}
LogFile={root / 'slurmdbd.log'}
""")
        dbd.chmod(0o600)  # slurmdbd refuses a config others can read (it holds a password)
        # slurm.conf: one node of this machine's CPUs; KillWait 5 s between SIGTERM and SIGKILL
        (root / "state").mkdir()
        (root / "spool").mkdir()
        cpus = len(os.sched_getaffinity(0))
        (root / "slurm.conf").write_text(f"""ClusterName=mobisweep
SlurmctldHost={node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ports['ctld']}
SlurmdPort={ports['slurmd']}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge}
StateSaveLocation={root / 'state'}
SlurmdSpoolDir={root / 'spool'}
SlurmctldPidFile={root / 'slurmctld.pid'}
SlurmdPidFile={root / 'slurmd.pid'}
SlurmctldLogFile={root / 'slurmctld.log'}
SlurmdLogFile={root / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={ports['dbd']}
AccountingStoragePass={munge}
JobCompType=jobcomp/none
MinJobAge=3600
KillWait=5
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=4096 State=UNKNOWN
PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        # slurmdbd reads slurmdbd.conf from beside SLURM_CONF
        daemon("slurmdbd", "-D", log="slurmdbd.out")
        _wait(
            lambda: (
                subprocess.run(
                    [_binary("sacctmgr"), "-i", "add", "cluster", "mobisweep"],
                    env=env,
                    capture_output=True,
                ).returncode
                == 0
            ),
            "slurmdbd",
            root / "slurmdbd.out",
        )
        daemon("slurmctld", "-D", "-i", log="slurmctld.out")
        daemon("slurmd", "-D", "-N", node, log="slurmd.out")
        _wait(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%T"], env=env,
                                               capture_output=True, text=True).stdout,
              "slurmctld and slurmd", root / "slurmctld.out")
    except BaseException:
        stop()
        raise
    return Slurm(root, root / "slurm.conf", node), stop
