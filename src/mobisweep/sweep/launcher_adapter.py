"""What the sweeper needs of Hydra's launchers beyond their public API, in one module.

- Hydra's basic launcher runs a job in the sweeper's own process (only its main thread takes
  Ctrl-C and SIGTERM): its class lives in ``hydra._internal``, and is told by its name.
- joblib's launcher keeps its worker processes in loky's reusable executor, a private module
  global: killing them is the only way to stop a trial it runs without waiting for it.
- submitit says a job ended without a result (cancelled, past its time, killed) by one exception.
Each is one import or attribute; if a launcher renames one, this is the module to change.
"""

from __future__ import annotations

from hydra.plugins.launcher import Launcher

BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"


def ended_without_result(error: BaseException) -> bool:
    """Whether the launcher says the trial's job ended without a result: a SLURM job cancelled
    (``scancel``), past its time limit, or killed (submitit's ``UncompletedJobError``). That is
    the trial's failure, not the sweep's."""
    try:
        from submitit.core.utils import UncompletedJobError
    except ImportError:
        return False
    return isinstance(error, UncompletedJobError)


def runs_in_process(launcher: Launcher) -> bool:
    """Whether the launcher runs its jobs inside this process (Hydra's basic launcher)."""
    # By name: Hydra's plugin scan may import its core plugins again, making a second class object.
    kind = type(launcher)
    return f"{kind.__module__}.{kind.__qualname__}" == BASIC_LAUNCHER


def kill_joblib_workers(launcher: Launcher) -> None:
    """Kill the worker processes of Hydra's joblib launcher, as joblib does when its own batch is
    interrupted (asking for the executor through the public ``get_reusable_executor()`` with
    other arguments would first wait for the trials). Other launchers: nothing to do here."""
    if type(launcher).__name__ != "JoblibLauncher":  # not imported: the plugin is optional
        return
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=False, kill_workers=True)
