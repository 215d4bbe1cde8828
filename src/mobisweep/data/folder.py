"""Image-folder data sets (ImageNet, its subsets, any ``ImageFolder`` tree) with ImageNet transforms.

Layout: ``root/<train_dir>/<class>/<image>`` and ``root/<val_dir>/<class>/<image>``. Training uses
RandomResizedCrop + horizontal flip, validation a resize to ``resolution / crop_fraction`` and a
center crop (the standard 0.875 crop: 256 -> 224).

``decoder="torchvision"`` (the default) decodes with ``torchvision.io.decode_image`` and crops and
flips uint8 tensors (transforms v2) in the worker; the batch is made float and normalized on the
device. ``decoder="pil"`` is the classic path (PIL, then ``ToTensor`` + ``Normalize`` in the
worker). ``benchmarks/folder_loader.py`` measures both per core on full-size JPEGs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import lightning.pytorch as pl
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision import transforms
from torchvision.datasets import ImageFolder
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms import v2

from mobisweep.data.subsets import check_subset, subset_indices
from mobisweep.errors import ConfigError

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DECODERS = ("torchvision", "pil")
# What an unreadable file raises: PIL's errors, and torchvision's decoders' RuntimeError.
UNREADABLE = (OSError, UnidentifiedImageError, SyntaxError, RuntimeError)


class SkippingImageFolder(ImageFolder):
    """An ``ImageFolder`` that skips an unreadable image with a warning naming it, never hangs.

    A corrupt file is replaced by the next readable one, so an epoch keeps its length; if none of
    the files can be read the error says so.
    """

    def __init__(self, root: str, classes: Sequence[str] | None = None, **kwargs) -> None:
        self._only = list(classes) if classes else None
        super().__init__(root, **kwargs)
        self.skipped: set[str] = set()

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        classes, _ = super().find_classes(directory)
        if self._only is not None:
            missing = sorted(set(self._only) - set(classes))
            if missing:
                raise ConfigError("data.classes", missing[:3], f"not class folders of {directory}")
            classes = sorted(self._only)
        return classes, {name: i for i, name in enumerate(classes)}

    def __getitem__(self, index: int):
        for offset in range(len(self.samples)):
            path, target = self.samples[(index + offset) % len(self.samples)]
            try:
                image = self.loader(path)
            except UNREADABLE as error:
                if path not in self.skipped:
                    self.skipped.add(path)
                    log.warning("skipping unreadable image %s (%s)", path, error)
                continue
            if self.transform is not None:
                image = self.transform(image)
            return image, target
        raise RuntimeError(f"no readable image under {self.root}")


def _rgb_loader(path: str) -> Image.Image:
    with open(path, "rb") as stream:
        image = Image.open(stream)
        image.load()  # decode now, so a truncated file fails here and not later in a worker
        return image.convert("RGB")


def _tensor_loader(path: str) -> torch.Tensor:
    """uint8 CHW RGB (greyscale and CMYK converted), decoded by torchvision's libjpeg/libpng."""
    with open(path, "rb") as stream:
        data = torch.frombuffer(bytearray(stream.read()), dtype=torch.uint8)
    return decode_image(data, mode=ImageReadMode.RGB)


LOADERS = {"torchvision": _tensor_loader, "pil": _rgb_loader}


class ImageFolderDataModule(pl.LightningDataModule):
    """Any ImageFolder tree; ``classes`` keeps a subset of the class folders."""

    layout = "root/train/<class>/<image> and root/val/<class>/<image>"

    def __init__(self, root: str | None, num_classes: int, resolution: int, batch_size: int = 256,
                 num_workers: int = 8, pin_memory: bool = True, persistent_workers: bool = True,
                 train_dir: str = "train", val_dir: str = "val", crop_fraction: float = 0.875,
                 min_scale: float = 0.08, classes: Sequence[str] | None = None,
                 rho: float | None = None, base_resolution: int | None = None,
                 train_subset: int | None = None, val_subset: int | None = None,
                 seed: int = 0, decoder: str = "torchvision") -> None:
        super().__init__()
        if decoder not in DECODERS:
            raise ConfigError("data.decoder", decoder, f"must be one of {', '.join(DECODERS)}")
        self.decoder = decoder
        check_subset("data.train_subset", train_subset)
        check_subset("data.val_subset", val_subset)
        self.train_subset, self.val_subset, self.seed = train_subset, val_subset, seed
        self.root = self.check_root(root, train_dir, val_dir)
        self.num_classes, self.resolution, self.batch_size = num_classes, resolution, batch_size
        self.num_workers, self.pin_memory = num_workers, pin_memory
        self.persistent_workers = persistent_workers and num_workers > 0
        self.train_dir, self.val_dir = train_dir, val_dir
        self.crop_fraction, self.min_scale = crop_fraction, min_scale
        self.classes = list(classes) if classes else None
        self.rho, self.base_resolution = rho, base_resolution
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None

    def check_root(self, root: str | None, train_dir: str, val_dir: str) -> Path:
        """Refuse a missing or wrongly laid out root before anything is trained."""
        if not root:
            raise ConfigError("data.root", root, f"set it to the data set's folder ({self.layout})")
        path = Path(root).expanduser()
        missing = [d for d in (train_dir, val_dir) if not (path / d).is_dir()]
        if missing:
            raise ConfigError("data.root", str(path),
                              f"no {' or '.join(missing)} folder there (expected {self.layout})")
        return path

    def check(self) -> None:
        """Before a sweep opens its study: every class folder holds images, and each split has an
        image that decodes (a tree of unreadable files is refused here, not inside every trial)."""
        from torchvision.datasets.folder import IMG_EXTENSIONS

        for split in (self.train_dir, self.val_dir):
            folder = self.root / split
            classes = self.classes or sorted(p.name for p in folder.iterdir() if p.is_dir())
            if not classes:
                raise ConfigError("data.root", str(self.root), f"{folder} has no class folders "
                                                               f"(expected {self.layout})")
            readable = False
            for name in classes:
                images = sorted(p for p in (folder / name).rglob("*")
                                if p.suffix.lower() in IMG_EXTENSIONS and p.is_file())
                if not images:
                    raise ConfigError("data.root", str(self.root),
                                      f"class folder {folder / name} holds no images")
                for path in images if not readable else ():
                    try:
                        LOADERS[self.decoder](str(path))
                        readable = True
                        break
                    except UNREADABLE:
                        continue
            if not readable:
                raise ConfigError("data.root", str(self.root),
                                  f"no image under {folder} can be read")

    def transforms(self, training: bool) -> transforms.Compose | v2.Compose:
        if self.decoder == "torchvision":  # uint8 out: made float and normalized on the device
            if training:
                steps = [v2.RandomResizedCrop(self.resolution, scale=(self.min_scale, 1.0),
                                              antialias=True), v2.RandomHorizontalFlip()]
            else:
                steps = [v2.Resize(round(self.resolution / self.crop_fraction), antialias=True),
                         v2.CenterCrop(self.resolution)]
            return v2.Compose(steps)
        if training:
            steps = [transforms.RandomResizedCrop(self.resolution, scale=(self.min_scale, 1.0)),
                     transforms.RandomHorizontalFlip()]
        else:
            steps = [transforms.Resize(round(self.resolution / self.crop_fraction)),
                     transforms.CenterCrop(self.resolution)]
        return transforms.Compose([*steps, transforms.ToTensor(),
                                   transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        self.train_set, self.val_set = (
            SkippingImageFolder(str(self.root / d), classes=self.classes,
                                loader=LOADERS[self.decoder],
                                transform=self.transforms(training=d == self.train_dir))
            for d in (self.train_dir, self.val_dir))
        if len(self.train_set.classes) != self.num_classes:
            raise ConfigError("data.num_classes", self.num_classes,
                              f"{self.root / self.train_dir} has {len(self.train_set.classes)} classes")
        # A sweep's budget knob, as on the in-memory data sets: the same seeded images every trial.
        self.train_set = self._subset(self.train_set, self.train_subset, "train")
        self.val_set = self._subset(self.val_set, self.val_subset, "val")

    def _subset(self, dataset: Dataset, size: int | None, split: str) -> Dataset:
        keep = subset_indices(len(dataset), size, self.seed, split)
        return dataset if keep is None else Subset(dataset, keep)

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=shuffle,
                          num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.persistent_workers, drop_last=shuffle)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        images, labels = batch
        if images.dtype == torch.uint8:  # the torchvision decoder's batch: normalized here
            mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1) * 255
            scale = 1 / (torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1) * 255)
            # One float copy, made channels_last as it is made; the rest in place.
            images = images.to(torch.float32, memory_format=torch.channels_last)
            return images.sub_(mean).mul_(scale), labels
        return images.contiguous(memory_format=torch.channels_last), labels
