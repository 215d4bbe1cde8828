"""Trial slots (``mobisweep.sweep.slots``) over a launcher that runs nothing but a short wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from hydra.plugins.launcher import Launcher

from mobisweep.sweep.slots import Slots

from .helpers import job_return


class Sleeper(Launcher):
    """A job ``sleep=<seconds>`` returns its seconds after waiting them; ``fail`` raises."""

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def setup(self, **kwargs) -> None: ...

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int):
        (overrides,) = job_overrides
        values = dict(o.split("=") for o in overrides)
        self.threads.add(threading.current_thread().name)
        if "fail" in values:
            raise RuntimeError("cannot submit")
        time.sleep(float(values["sleep"]))
        return [job_return(float(values["sleep"]))]


def test_a_slot_that_frees_is_seen_at_once_while_the_other_runs() -> None:
    launcher = Sleeper()
    slots = Slots(launcher, 2)
    slots.start("slow", ["sleep=0.5"], 0)
    slots.start("fast", ["sleep=0.01"], 1)
    assert slots.free == 0 and slots.busy == 2
    with pytest.raises(RuntimeError, match="no free slot"):
        slots.start("third", ["sleep=0"], 2)
    (key, ret), = slots.wait(timeout=5)
    assert key == "fast" and ret.return_value == 0.01 and slots.free == 1
    assert slots.wait(timeout=0.01) == []  # nothing else ended yet
    (key, _), = slots.wait(timeout=5)
    assert key == "slow" and slots.busy == 0
    assert all(name.startswith("mobisweep-slot-") for name in launcher.threads)


def test_a_launchers_own_failure_comes_back_as_the_trials_outcome() -> None:
    slots = Slots(Sleeper(), 2)
    slots.start("t", ["fail=1"], 0)
    (key, error), = slots.wait(timeout=5)
    assert key == "t" and isinstance(error, RuntimeError)


def test_the_basic_launcher_runs_one_trial_in_the_main_thread() -> None:
    slots = Slots(BasicLauncher(), 4)
    assert slots.size == 1  # in-process: only the main thread takes Ctrl-C and SIGTERM
