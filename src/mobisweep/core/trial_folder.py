"""A trial's files in its output folder: the result of a finished trial, the checkpoint a retry
resumes from. Plain paths and JSON, so that the sweeper reads them without the training stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mobisweep.core.atomic_files import read_json, write_json

RESULT_FILE = "result.json"
# What every result.json holds; a file without them is not a finished trial's.
RESULT_KEYS = ("config", "metrics")


def result_file(output_dir: Path) -> Path:
    """Where a finished trial's figures are: it exists only for a trial that finished."""
    return output_dir / RESULT_FILE


def last_checkpoint(output_dir: Path) -> Path:
    """Where a trial keeps its one checkpoint, rewritten every epoch: what a retry resumes from."""
    return output_dir / "checkpoints" / "last.ckpt"


def write_result(output_dir: Path, result: dict[str, Any]) -> Path:
    return write_json(result_file(output_dir), result, what="the trial's result")


def read_result(output_dir: Path) -> dict[str, Any] | None:
    """The result of a trial that finished in ``output_dir``, if it did."""
    path = result_file(output_dir)
    return read_json(path, RESULT_KEYS) if path.is_file() else None


def drop_checkpoint(output_dir: Path) -> None:
    """A finished trial needs its checkpoint no more (``keep_checkpoints=true`` keeps it)."""
    last = last_checkpoint(output_dir)
    last.unlink(missing_ok=True)
    if last.parent.is_dir() and not any(last.parent.iterdir()):
        last.parent.rmdir()
