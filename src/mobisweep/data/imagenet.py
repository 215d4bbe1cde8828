"""ILSVRC2012 and its subsets: ImageNet-100, and fast.ai's 10-class Imagenette and Imagewoof."""

from __future__ import annotations

from pathlib import Path

from torchvision.datasets.utils import download_and_extract_archive

from mobisweep.core.errors import ConfigError
from mobisweep.data.folder import ImageFolderDataModule


class ImageNetDataModule(ImageFolderDataModule):
    """ILSVRC2012 at ``root``, validation images already sorted into class folders."""

    layout = ("root/train/<wnid>/*.JPEG and root/val/<wnid>/*.JPEG, the 50,000 validation images "
              "sorted into their class folders")


class ImageNet100DataModule(ImageNetDataModule):
    """A class-list subset of ImageNet: ``classes`` (wnids), by default every 10th wnid in sorted
    order."""

    def __init__(self, root: str | None, classes: list[str] | None = None, **kwargs) -> None:
        super().__init__(root, **kwargs)
        if classes is None:
            wnids = sorted(p.name for p in (self.root / self.train_dir).iterdir() if p.is_dir())
            classes = wnids[:: max(1, len(wnids) // self.num_classes)][: self.num_classes]
        self.classes = list(classes)


class FastAISubsetDataModule(ImageFolderDataModule):
    """Imagenette / Imagewoof: downloaded into ``root`` when missing (online), else an extracted
    folder."""

    archive_url = ""
    folder_prefix = ""
    layout = "root/<archive folder>/train/<wnid>/*.JPEG and .../val/<wnid>/*.JPEG"

    def __init__(self, root: str | None, size: str = "320px", download: bool = True,
                 **kwargs) -> None:
        if size not in ("full", "320px", "160px"):
            raise ConfigError("data.size", size, "must be one of full, 320px, 160px")
        if not root:
            raise ConfigError("data.root", root, "set it to a folder to download into or read from")
        self.size, self.download = size, download
        self.parent = Path(root).expanduser()
        folder = self.parent / (self.folder_prefix + ("" if size == "full" else f"-{size}"))
        if not folder.is_dir() and download:
            self.fetch(folder)
        super().__init__(str(folder), **kwargs)

    def fetch(self, folder: Path) -> None:
        try:
            self.download_archive()
        except Exception as error:
            raise ConfigError(
                "data.root",
                str(self.parent),
                f"{folder.name} is not there and the download failed ({error})",
            ) from error

    def download_archive(self) -> None:
        url = self.archive_url.format(suffix="" if self.size == "full" else f"-{self.size}")
        download_and_extract_archive(url, download_root=str(self.parent))


class ImagenetteDataModule(FastAISubsetDataModule):
    folder_prefix = "imagenette2"

    def download_archive(self) -> None:
        from torchvision.datasets import Imagenette  # checks the archive's MD5

        Imagenette(str(self.parent), size=self.size, download=True)


class ImagewoofDataModule(FastAISubsetDataModule):
    archive_url = "https://s3.amazonaws.com/fast-ai-imageclas/imagewoof2{suffix}.tgz"
    folder_prefix = "imagewoof2"
