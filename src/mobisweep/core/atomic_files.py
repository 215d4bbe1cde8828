"""Files written whole or not at all: a run killed mid-write, or a disk that fills, leaves the
previous file or none, and a write that cannot complete is one line naming the file."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from pathlib import Path
from typing import Any

from mobisweep.core.errors import ConfigError

# The OSErrors that say the file system will not take the file, not that mobisweep is wrong.
CANNOT_WRITE = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
                errno.EROFS: "read-only file system", errno.EFBIG: "file too large",
                errno.EACCES: "permission denied"}


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def free_bytes(path: Path) -> int:
    """Free space where ``path`` is or would be created (its nearest existing folder)."""
    for folder in (path, *path.parents):
        if folder.exists():
            return shutil.disk_usage(folder).free
    return 0


def write_error(error: OSError, path: Path, what: str, field: str, size: int | None) -> ConfigError:
    """``field=path: no space left on the device writing <what> (<size> needed, <free> free)``."""
    reason = f"{CANNOT_WRITE.get(error.errno or 0, error.strerror)} writing {what}"
    if size is not None and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        reason += f" ({megabytes(size)} needed, {megabytes(free_bytes(path))} free)"
    return ConfigError(field, str(path), reason)


def write_atomic(path: Path, data: bytes, *, what: str = "a file",
                 field: str = "paths.output_dir") -> Path:
    """Write ``data`` beside ``path`` under a name of this process, then rename it into place. A
    file system that will not take it raises a one-line ``ConfigError`` (``field``, the path, what
    was written, the space needed) and leaves no partial file; the previous file stays."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if error.errno not in CANNOT_WRITE:
            raise
        raise write_error(error, path, what, field, len(data)) from None
    return path


def write_text(path: Path, text: str, *, what: str = "a file",
               field: str = "paths.output_dir") -> Path:
    return write_atomic(path, text.encode(), what=what, field=field)


def write_json(path: Path, data: dict[str, Any], *, what: str = "a JSON file",
               field: str = "paths.output_dir") -> Path:
    """Strict JSON (never a bare NaN token), written atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    return write_atomic(path, text.encode(), what=what, field=field)


def read_json(path: Path, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON object written by mobisweep; a damaged, truncated or foreign file is one line naming
    the file, the line and what is wrong, never a traceback from the parser."""
    def damaged(reason: str) -> ConfigError:
        return ConfigError("file", str(path), reason)

    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise damaged("not a text (UTF-8) file") from None
    except OSError as error:
        raise damaged(f"cannot be read ({error.strerror or error})") from None
    if not text.strip():
        raise damaged("empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise damaged(f"line {error.lineno}, column {error.colno}: {error.msg}: not mobisweep's "
                      "JSON, or truncated") from None
    if not isinstance(data, dict):
        raise damaged(f"holds a JSON {type(data).__name__}, not an object")
    missing = [key for key in required if key not in data]
    if missing:
        raise damaged(f"no {', '.join(repr(k) for k in missing)} key: not a mobisweep result")
    return data
