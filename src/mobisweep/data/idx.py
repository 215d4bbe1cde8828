"""Read the IDX files of MNIST-like data sets (gzipped or not) without torchvision's checksums."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

_UINT8 = 0x08


def read_idx(path: Path) -> np.ndarray:
    """The uint8 array stored in an IDX file; ``ValueError`` naming the file if it is not one."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: unreadable ({error})") from error
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _UINT8:
        raise ValueError(f"{path}: not a uint8 IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    if len(data) != header + math.prod(shape):
        raise ValueError(f"{path}: truncated or corrupt ({len(data) - header} bytes of data for "
                         f"shape {tuple(shape)})")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def find_idx(folder: Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, also under torchvision's ``*/raw`` layout."""
    for directory in (folder, *sorted(folder.glob("*/raw"))):
        for name in (stem, f"{stem}.gz"):
            if (directory / name).is_file():
                return directory / name
    return None
