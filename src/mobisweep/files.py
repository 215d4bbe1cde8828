"""Files written whole or not at all: a run killed mid-write leaves the previous file or none."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` beside ``path`` under a name of this process, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Strict JSON (never a bare NaN token), written atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    return write_atomic(path, text.encode())
