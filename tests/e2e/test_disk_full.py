"""Writes that cannot complete (a full volume, a read-only one) end in one line naming the file,
what was being written and the space it needed; no partial file is left, nothing written before is
lost. Run on a real small tmpfs (root: mount), as a user's small ``paths.data_dir`` volume would
be."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobisweep.core.atomic_files import write_atomic, write_json
from mobisweep.core.errors import ConfigError
from tests.conftest import REPO, run_module

TINY_IMAGENET = REPO.parent / "shared/data/tiny-imagenet-200.tar.gz"


@pytest.fixture
def small_volume(tmp_path) -> Iterator[Path]:
    """A 1 MB tmpfs (skipped, saying why, where this user cannot mount one)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()[:200]}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_volume_is_one_line_and_leaves_the_previous_file(small_volume):
    target = small_volume / "result.json"
    write_json(target, {"before": 1})
    with pytest.raises(ConfigError) as refused:
        write_atomic(target, b"x" * 2_000_000, what="the trial's result")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"paths.output_dir='{target}': no space left on the device writing "
                              "the trial's result (2.0 MB needed, ")
    assert sorted(p.name for p in small_volume.iterdir()) == ["result.json"]  # no .partial
    assert target.read_text() == '{\n  "before": 1\n}\n'


def test_a_read_only_volume_is_one_line(small_volume):
    subprocess.run(["mount", "-o", "remount,ro", str(small_volume)], check=True)
    with pytest.raises(ConfigError, match=r"read-only file system writing the sweep's trials.csv"):
        write_atomic(small_volume / "sweep" / "trials.csv", b"a,b\n", what="the sweep's trials.csv")


@pytest.mark.skipif(not TINY_IMAGENET.is_file(), reason="needs ../shared/data's Tiny ImageNet")
def test_a_cache_too_large_for_its_volume_is_refused_before_decoding(small_volume):
    result = run_module("mobisweep", f"hydra.run.dir={small_volume.parent / 'run'}",
                        "data=tiny_imagenet", f"data.root={TINY_IMAGENET}", "data.classes=2",
                        f"paths.data_dir={small_volume}", "latency=none", "logger=csv")
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("mobisweep: error: data.cache_dir=")
    assert "the Tiny ImageNet cache of 2 classes needs 13.5 MB, " in errors[0]
    assert not list(small_volume.rglob("*.npz")) and not list(small_volume.rglob("*.partial"))
