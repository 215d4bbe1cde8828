"""Every file mobisweep reads back, fed damaged or foreign content: it is read, or refused in one
line naming the file (``file='<path>': line N ...``), never a traceback from a parser deep inside.
Property-based: each reader gets files cut short, cells replaced by arbitrary text, bytes inserted,
wrong encodings and empty files, derived from real files of each kind."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobisweep.core.atomic_files import read_json
from mobisweep.core.errors import ConfigError
from mobisweep.core.trial_folder import RESULT_KEYS
from mobisweep.data.tiny_imagenet import read_cached
from mobisweep.results.points import read_curves, read_trials
from mobisweep.results.trials_csv import read_csv
from tests.conftest import REPO, run_module

REFERENCE = REPO / "sweeps/reference/alpha_rho"
EXAMPLES = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def result_json() -> bytes:
    return json.dumps({"config": {"alpha": 0.5, "resolution": 56}, "metrics": {"val/acc1": 0.5},
                       "objectives": {"val/acc1": 0.5}, "curves": [{"epoch": 1, "val/acc1": 0.5}]},
                      indent=2).encode()


def cache_npz() -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez(buffer, train=rng.integers(0, 255, (4, 64, 64, 3), dtype=np.uint8),
             val=rng.integers(0, 255, (2, 64, 64, 3), dtype=np.uint8))
    return buffer.getvalue()


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """One damage of the kinds files suffer: cut short, a cell or span replaced by arbitrary text,
    bytes inserted, another encoding, emptied."""
    kind = draw(st.sampled_from(["cut", "replace", "insert", "latin-1", "empty", "noise"]))
    at = draw(st.integers(0, max(0, len(original) - 1)))
    if kind == "cut":
        return original[:at]
    if kind == "replace":
        span = draw(st.integers(1, 12))
        text = draw(st.text(min_size=0, max_size=12)).encode("utf-8", "surrogatepass")
        return original[:at] + text + original[at + span:]
    if kind == "insert":
        return original[:at] + draw(st.binary(min_size=1, max_size=16)) + original[at:]
    if kind == "latin-1":
        return original[:at] + "é,ß".encode("latin-1") + original[at:]
    if kind == "empty":
        return b""
    return draw(st.binary(min_size=0, max_size=200))


def read_or_refused(read, path: Path) -> None:
    try:
        read(path)
    except ConfigError as error:
        message = str(error)
        assert "\n" not in message and str(path) in message, message


@pytest.mark.parametrize("name, read", [
    ("trials.csv", read_trials),
    ("trials.csv", lambda path: read_csv(path, ("number", "state"))),
    ("curves.csv", read_curves),
])
@EXAMPLES
@given(data=st.data())
def test_damaged_tables_are_read_or_refused_in_one_line(tmp_path, name, read, data):
    content = data.draw(damaged((REFERENCE / name).read_bytes()))
    path = tmp_path / name
    path.write_bytes(content)
    read_or_refused(read, path)


@EXAMPLES
@given(content=damaged(result_json()))
def test_a_damaged_result_json_is_read_or_refused_in_one_line(tmp_path, content):
    path = tmp_path / "result.json"
    path.write_bytes(content)
    read_or_refused(lambda p: read_json(p, RESULT_KEYS), path)


@EXAMPLES
@given(content=damaged(cache_npz()))
def test_a_damaged_cache_file_is_named_or_read_whole(tmp_path, content):
    path = tmp_path / "n01443537.npz"
    path.write_bytes(content)
    arrays = read_cached(path)
    if not isinstance(arrays, str):
        assert arrays["train"].shape[1:] == (64, 64, 3) and arrays["val"].dtype == np.uint8


def test_the_report_on_a_damaged_trials_csv_is_one_line(tmp_path):
    lines = (REFERENCE / "trials.csv").read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    cells = lines[3].rstrip("\r\n").split(",")
    cells[header.index("val/acc1")] = "n/a"
    (tmp_path / "trials.csv").write_text("".join([*lines[:3], ",".join(cells) + "\r\n",
                                                  *lines[4:]]))
    result = run_module("mobisweep.report", str(tmp_path))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        f"mobisweep: error: file='{tmp_path / 'trials.csv'}': line 4: val/acc1='n/a' is not a "
        "number"]
