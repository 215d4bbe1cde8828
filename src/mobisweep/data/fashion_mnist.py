"""Fashion-MNIST (Xiao et al., 2017): 60k/10k 28x28 grayscale images of 10 clothing classes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import torch

from mobisweep.core.errors import ConfigError
from mobisweep.data.idx import find_idx, read_idx
from mobisweep.data.in_memory import Batch, InMemoryDataModule

log = logging.getLogger(__name__)

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist package
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "val": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


class FashionMNISTDataModule(InMemoryDataModule):
    """Read from ``root``, else Debian's package folder, else downloaded by torchvision when
    online."""

    mean = (0.2860,)
    std = (0.3530,)

    def __init__(self, root: str | None = None, download: bool = True,
                 download_root: str = "data", **kwargs) -> None:
        super().__init__(**kwargs)
        self.root = Path(root).expanduser() if root else None
        self.download, self.download_root = download, Path(download_root).expanduser()

    def _folders(self) -> list[Path]:
        return [p for p in (self.root, DEBIAN_DIR, self.download_root / "FashionMNIST") if p]

    def _read(self, folder: Path) -> tuple[Batch, Batch] | None:
        paths = {
            split: [find_idx(folder, stem) for stem in stems] for split, stems in FILES.items()
        }
        if any(p is None for pair in paths.values() for p in pair):
            return None
        try:
            train, val = (_tensors(*cast(list[Path], paths[split])) for split in ("train", "val"))
            return train, val
        except ValueError as error:
            raise ConfigError(
                "data.root", str(folder), f"Fashion-MNIST files are corrupt: {error}"
            ) from None

    def load(self) -> tuple[Batch, Batch]:
        for folder in self._folders():
            found = self._read(folder)
            if found is not None:
                log.info("Fashion-MNIST from %s", folder)
                return found
        if self.download:
            try:
                return self._download()
            except Exception as error:  # offline, or the mirror is down: say where we looked
                reason = f"download failed: {type(error).__name__}: {error}"
        else:
            reason = "data.download=false"
        raise ConfigError(
            "data.root",
            str(self.root) if self.root else None,
            f"Fashion-MNIST not found: looked in data.root, in {DEBIAN_DIR} (Debian: apt-get "
            f"install dataset-fashion-mnist) and in {self.download_root / 'FashionMNIST'} "
            f"({reason})",
        )

    def _download(self) -> tuple[Batch, Batch]:
        from torchvision.datasets import FashionMNIST

        splits = [FashionMNIST(str(self.download_root), train=train, download=True)
                  for train in (True, False)]
        train, val = ((s.data.unsqueeze(1).contiguous(), s.targets.long()) for s in splits)
        return train, val


def _tensors(images: Path, labels: Path) -> Batch:
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{images.name} and {labels.name} do not match: {x.shape} vs {y.shape}")
    return torch.from_numpy(x.copy()).unsqueeze(1), torch.from_numpy(y.astype("int64"))
