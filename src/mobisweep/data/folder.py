"""Image-folder data sets (ImageNet, its subsets, any ``ImageFolder``) with ImageNet transforms.

Layout: ``root/<train_dir>/<class>/<image>`` and ``root/<val_dir>/<class>/<image>``. Training uses
RandomResizedCrop + horizontal flip, validation a resize to ``resolution / crop_fraction`` and a
center crop (the standard 0.875 crop: 256 -> 224).

The workers hand over uint8 crops, and the batch is made float, normalized and channels-last on the
device. ``decoder`` chooses how a file becomes its crop (``mobisweep.data.decoders``): by default
``jpeg-scaled`` decodes a JPEG only as large as its crop needs; ``device`` decodes the batch on the
GPU. ``benchmarks/folder_loader.py`` measures each per core on full-size JPEGs.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence, Sized
from pathlib import Path
from typing import cast

import lightning.pytorch as pl
import torch
from PIL import UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision.datasets import ImageFolder

from mobisweep.core.errors import ConfigError
from mobisweep.data.decoders import (
    DECODERS,
    DEFAULT_DECODER,
    CenterCropPlan,
    CropLoader,
    RandomCropPlan,
    collate_encoded,
    decode_on_device,
)
from mobisweep.data.split_loaders import SplitLoaders
from mobisweep.data.subsets import check_subset, subset_indices

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# What an unreadable file raises: PIL's errors, and the tensor decoders' RuntimeError.
UNREADABLE = (OSError, UnidentifiedImageError, SyntaxError, RuntimeError, ValueError)
# The decoders that need TorchCodec installed.
TORCHCODEC = ("torchcodec", "device")


def check_decoder(decoder: str) -> None:
    """Refuse an unknown decoder, or one whose package is missing, in one line."""
    if decoder not in DECODERS:
        raise ConfigError("data.decoder", decoder, f"must be one of {', '.join(DECODERS)}")
    if decoder in TORCHCODEC and importlib.util.find_spec("torchcodec") is None:
        raise ConfigError("data.decoder", decoder,
                          "needs TorchCodec: pip install 'mobisweep[gpu]' (or torchcodec)")


def resolve_decoder(decoder: str, cuda: bool) -> str:
    """``device`` decodes on the GPU; without one it falls back to the CPU, with a notice."""
    if decoder == "device" and not cuda:
        log.warning("data.decoder=device: no CUDA device, so images are decoded on the CPU "
                    "(data.decoder=%s)", DEFAULT_DECODER)
        return DEFAULT_DECODER
    return decoder


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


class ImageFolderDataModule(SplitLoaders, pl.LightningDataModule):
    """Any ImageFolder tree; ``classes`` keeps a subset of the class folders."""

    layout = "root/train/<class>/<image> and root/val/<class>/<image>"

    def __init__(self, root: str | None, num_classes: int, resolution: int, batch_size: int = 256,
                 num_workers: int = 8, pin_memory: bool = True, persistent_workers: bool = True,
                 train_dir: str = "train", val_dir: str = "val", crop_fraction: float = 0.875,
                 min_scale: float = 0.08, classes: Sequence[str] | None = None,
                 rho: float | None = None, base_resolution: int | None = None,
                 train_subset: int | None = None, val_subset: int | None = None,
                 seed: int = 0, decoder: str = DEFAULT_DECODER) -> None:
        super().__init__()
        check_decoder(decoder)
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
                # The CPU decoder this run would use (``device`` decodes on the CPU here).
                loader = CropLoader(resolve_decoder(self.decoder, cuda=False),
                                    CenterCropPlan(self.resolution), self.resolution)
                for path in images if not readable else ():
                    try:
                        loader(str(path))
                        readable = True
                        break
                    except UNREADABLE:
                        continue
            if not readable:
                raise ConfigError("data.root", str(self.root),
                                  f"no image under {folder} can be read")

    def loader(self, training: bool, decoder: str) -> CropLoader:
        """Path -> uint8 crop (or, for ``device``, the file's bytes and its planned crop)."""
        plan = RandomCropPlan(self.resolution, self.min_scale) if training else \
            CenterCropPlan(self.resolution, self.crop_fraction)
        return CropLoader(decoder, plan, self.resolution)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        self.active_decoder = resolve_decoder(self.decoder, self._on_cuda())
        self.train_set, self.val_set = (
            SkippingImageFolder(str(self.root / d), classes=self.classes,
                                loader=self.loader(d == self.train_dir, self.active_decoder))
            for d in (self.train_dir, self.val_dir))
        if len(self.train_set.classes) != self.num_classes:
            raise ConfigError(
                "data.num_classes",
                self.num_classes,
                f"{self.root / self.train_dir} has {len(self.train_set.classes)} classes",
            )
        # A sweep's budget knob, as on the in-memory data sets: the same seeded images every trial.
        self.train_set = self._subset(self.train_set, self.train_subset, "train")
        self.val_set = self._subset(self.val_set, self.val_subset, "val")

    def _subset(self, dataset: Dataset, size: int | None, split: str) -> Dataset:
        keep = subset_indices(len(cast(Sized, dataset)), size, self.seed, split)
        return dataset if keep is None else Subset(dataset, keep)

    def _on_cuda(self) -> bool:
        trainer = getattr(self, "_trainer", None)
        if trainer is not None:
            return trainer.strategy.root_device.type == "cuda"
        return torch.cuda.is_available()

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        encoded = self.active_decoder == "device"
        # Pinned pages help only a copy to an accelerator; without one PyTorch warns.
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=shuffle,
                          num_workers=self.num_workers,
                          pin_memory=self.pin_memory and torch.cuda.is_available() and not encoded,
                          persistent_workers=self.persistent_workers, drop_last=shuffle,
                          collate_fn=collate_encoded if encoded else None)

    def on_before_batch_transfer(self, batch, dataloader_idx: int):
        images, labels = batch
        if isinstance(images, tuple):  # ``device``: the files' bytes, decoded on the GPU
            encoded, crops = images
            device = self.trainer.strategy.root_device  # type: ignore[union-attr]
            return decode_on_device(encoded, crops, self.resolution, device), labels
        return batch

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        images, labels = batch
        if images.dtype == torch.uint8:  # the workers' crops: normalized here
            mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1) * 255
            scale = 1 / (torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1) * 255)
            # One float copy, made channels_last as it is made; the rest in place.
            images = images.to(torch.float32, memory_format=torch.channels_last)
            return images.sub_(mean).mul_(scale), labels
        return images.contiguous(memory_format=torch.channels_last), labels
