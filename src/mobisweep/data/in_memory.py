"""The fast path for data sets that fit in memory: one uint8 tensor, augmented a batch at a time.

A batch is one fancy-index into the tensor (no per-image Python work, no worker processes), moved to
the device as uint8, then resized, flipped, translated and normalized there by a single
``grid_sample``. On the small data sets of the study this keeps the loader many times faster than
the model.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader

from mobisweep.core.errors import ConfigError, is_integer, is_number
from mobisweep.data.split_loaders import SplitLoaders
from mobisweep.data.subsets import check_subset, subset_indices

Batch = tuple[Tensor, Tensor]


class _IndexBatches(torch.utils.data.Dataset):
    """Items are indices; ``collate`` turns a list of them into one slice of the tensors."""

    def __init__(self, images: Tensor, labels: Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> int:
        return index

    def collate(self, indices: list[int]) -> Batch:
        index = torch.as_tensor(indices)
        return self.images[index], self.labels[index]


class InMemoryDataModule(SplitLoaders, pl.LightningDataModule):
    """Base of the in-memory data sets: subclasses implement ``load() -> (train, val)`` tensors.

    ``train_subset`` / ``val_subset`` keep a fixed random subset (a budget knob for sweeps);
    ``translate`` is the largest random shift as a fraction of the image, ``flip`` a horizontal
    flip, ``min_scale`` the smallest area of a random crop (1.0: no crop; RandomResizedCrop's
    ``scale``). ``rho`` and ``base_resolution`` are kept for the record: ``resolution`` is what is
    used.
    """

    mean: tuple[float, ...] = (0.5,)
    std: tuple[float, ...] = (0.5,)

    def __init__(
        self,
        num_classes: int,
        resolution: int,
        batch_size: int = 128,
        train_subset: int | None = None,
        val_subset: int | None = None,
        flip: bool = True,
        translate: float = 0.1,
        min_scale: float = 1.0,
        channels: int = 3,
        seed: int = 0,
        rho: float | None = None,
        base_resolution: int | None = None,
    ) -> None:
        super().__init__()
        if not is_integer(batch_size) or batch_size < 1:
            raise ConfigError("data.batch_size", batch_size, "must be a positive integer")
        check_subset("data.train_subset", train_subset)
        check_subset("data.val_subset", val_subset)
        if not is_number(translate) or not 0.0 <= translate < 0.5:
            raise ConfigError("data.translate", translate, "must be in [0, 0.5)")
        if not is_number(min_scale) or not 0.0 < min_scale <= 1.0:
            raise ConfigError("data.min_scale", min_scale, "must be in (0, 1]")
        self.num_classes, self.resolution, self.batch_size = num_classes, resolution, batch_size
        self.train_subset, self.val_subset = train_subset, val_subset
        self.flip, self.translate, self.channels, self.seed = flip, translate, channels, seed
        self.min_scale = min_scale
        self.rho, self.base_resolution = rho, base_resolution
        self.train_set: _IndexBatches | None = None
        self.val_set: _IndexBatches | None = None

    def load(self) -> tuple[Batch, Batch]:
        """Return ``(train_images, train_labels), (val_images, val_labels)``: uint8 NCHW, int64."""
        raise NotImplementedError

    def check(self) -> None:
        """Read the data set once: missing or corrupt files are refused before a sweep starts."""
        self.load()

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        (train_x, train_y), (val_x, val_y) = self.load()
        keep = subset_indices(len(train_y), self.train_subset, self.seed, "train")
        if keep is not None:
            train_x, train_y = train_x[keep], train_y[keep]
        keep = subset_indices(len(val_y), self.val_subset, self.seed, "val")
        if keep is not None:
            val_x, val_y = val_x[keep], val_y[keep]
        self.train_set = _IndexBatches(train_x.contiguous(), train_y)
        self.val_set = _IndexBatches(val_x.contiguous(), val_y)

    def _loader(self, dataset: _IndexBatches, shuffle: bool) -> DataLoader:
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=shuffle,
                          collate_fn=dataset.collate, num_workers=0,
                          generator=torch.Generator().manual_seed(self.seed) if shuffle else None)

    def on_after_batch_transfer(self, batch: Batch, dataloader_idx: int) -> Batch:
        images, labels = batch
        training = self.trainer is not None and self.trainer.training
        return self.transform(images, training), labels

    def transform(self, images: Tensor, training: bool) -> Tensor:
        """uint8 NCHW -> normalized float at ``resolution``, 3 channels, augmented when training.

        Upsampling (28 px Fashion-MNIST to 56) augments and resizes in one ``grid_sample``.
        Downsampling (64 px Tiny ImageNet to 37) augments at the source size, then resizes with an
        antialiasing filter, as a resize of the decoded image would: bilinear sampling alone
        aliases.
        """
        x = images.float().div_(255.0)
        n, source = x.shape[0], x.shape[-1]
        downsample = self.resolution < source or self.resolution < x.shape[-2]
        if training:
            theta = torch.zeros(n, 2, 3, device=x.device)
            side = torch.ones(n, device=x.device)
            if self.min_scale < 1.0:  # a random square crop of area in [min_scale, 1]
                area = torch.empty(n, device=x.device).uniform_(self.min_scale, 1.0)
                side = area.sqrt()
            theta[:, 0, 0] = theta[:, 1, 1] = side
            if self.flip:
                theta[:, 0, 0] *= torch.where(torch.rand(n, device=x.device) < 0.5, -1.0, 1.0)
            reach = (1.0 - side + 2 * self.translate).unsqueeze(1)  # the crop stays mostly inside
            theta[:, :, 2] = (torch.rand(n, 2, device=x.device) * 2 - 1) * reach
            out = x.shape[-2:] if downsample else (self.resolution, self.resolution)
            grid = F.affine_grid(theta, [n, x.shape[1], *out], align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if x.shape[-1] != self.resolution or x.shape[-2] != self.resolution:
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear",
                              align_corners=False, antialias=downsample)
        mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
        x = (x - mean) / std
        if x.shape[1] == 1 and self.channels == 3:  # grayscale: the same plane on all three inputs
            x = x.expand(-1, 3, -1, -1)
        return x.contiguous(memory_format=torch.channels_last)
