"""Trials on one machine share its cores: counted through the locks their processes hold."""

from __future__ import annotations

import subprocess
import sys

import torch

from mobisweep.train.core_share import CoreShare, machine_cores

HOLD = """
import sys, time
from pathlib import Path
from mobisweep.train.core_share import CoreShare
with CoreShare(Path(sys.argv[1])):
    print("joined", flush=True)
    time.sleep(600)
"""


def test_a_second_trial_halves_the_threads_and_a_killed_one_stops_counting(tmp_path):
    before = torch.get_num_threads()
    with CoreShare(tmp_path) as share:
        assert share.running() == 1
        assert torch.get_num_threads() == min(before, machine_cores())
        other = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert other.stdout.readline().strip() == "joined"
            assert share.running() == 2
            assert share.apply() == max(1, min(before, machine_cores() // 2))
        finally:
            other.kill()  # no clean exit: its lock file stays behind, unlocked
            other.wait()
        assert (tmp_path / f"{other.pid}.lock").exists()
        assert share.running() == 1  # the kernel dropped the dead trial's lock
        assert not (tmp_path / f"{other.pid}.lock").exists()
        assert share.apply() == min(before, machine_cores())
    assert torch.get_num_threads() == before  # given back for the next trial of this process
    assert not list(tmp_path.glob("*.lock"))
