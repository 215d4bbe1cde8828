"""How an image file becomes a uint8 crop: one crop plan, several decoders that carry it out.

The crop is planned from the file's size alone (its header): RandomResizedCrop + flip
for training, the resize-to-``resolution / crop_fraction`` + center crop of validation expressed as
the same box in the original pixels. Every decoder then delivers that box at ``resolution``², as
uint8 CHW, so they differ only in how the pixels were decoded and resampled:

- ``jpeg-scaled``: libjpeg-turbo (through simplejpeg) decodes the JPEG already scaled by 1/2, 1/4
  or 1/8 in the DCT domain, the smallest scale at which the box still holds ``resolution`` pixels a
  side, so nothing is upsampled that the full decode would not have. A file it cannot read (a PNG
  named .JPEG, a damaged header) goes to PIL;
- ``pil``: PIL decodes the full image;
- ``torchcodec``: TorchCodec decodes the full image;
- ``torchvision``: ``torchvision.io.decode_image`` (deprecated since torchvision 0.29; kept to
  compare against);
- ``device``: the worker reads the file's bytes and size only; the batch is decoded on the GPU
  (nvJPEG through TorchCodec) and cropped there. Without CUDA it falls back to ``jpeg-scaled``.

The box is then cut and resized by torch's antialiased bilinear resize on the uint8 tensor (faster
than PIL's on one core), and flipped.

``benchmarks/folder_loader.py`` measures each per core; ``tests/unit/data/test_decoders.py`` checks
that they deliver the same crops within tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import simplejpeg
import torch
from PIL import Image
from torchvision.transforms import RandomResizedCrop
from torchvision.transforms.v2 import functional as TF

DECODERS = ("jpeg-scaled", "pil", "torchcodec", "torchvision", "device")
DEFAULT_DECODER = "jpeg-scaled"
# libjpeg-turbo's DCT scaling: 1/1, 1/2, 1/4 and 1/8 of each side.
DCT_REDUCTIONS = (8, 4, 2, 1)


@dataclass(frozen=True)
class Crop:
    """A box in the original image's pixels (float edges) and whether to flip it."""

    top: float
    left: float
    height: float
    width: float
    flip: bool = False

    def scaled(self, factor_x: float, factor_y: float) -> Crop:
        """The same box in the image decoded at these fractions of its width and height."""
        return Crop(self.top * factor_y, self.left * factor_x, self.height * factor_y,
                    self.width * factor_x, self.flip)

    def on_grid(self, step: int) -> Crop:
        """The box with its edges moved inwards to multiples of ``step`` pixels: in an image decoded
        at 1/``step`` of each side it is then whole pixels, so a scaled and a full decode cut the
        same region (a sub-pixel shift at 1/4 scale would differ by a few levels at sharp edges)."""
        if step == 1:
            return self
        top, left = math.ceil(self.top / step) * step, math.ceil(self.left / step) * step
        bottom = math.floor((self.top + self.height) / step) * step
        right = math.floor((self.left + self.width) / step) * step
        return Crop(top, left, bottom - top, right - left, self.flip)

    def as_tensor(self) -> torch.Tensor:
        return torch.tensor([self.top, self.left, self.height, self.width, float(self.flip)])

    @classmethod
    def from_tensor(cls, values: torch.Tensor) -> Crop:
        top, left, height, width, flip = values.tolist()
        return cls(top, left, height, width, bool(flip))


@dataclass(frozen=True)
class RandomCropPlan:
    """ImageNet training: a random box of ``scale`` of the area and 3/4..4/3 aspect, flipped half
    the time (torchvision's RandomResizedCrop draw, from the header's size only)."""

    resolution: int
    min_scale: float = 0.08

    def __call__(self, width: int, height: int) -> Crop:
        # get_params reads only the shape: a stride-0 view stands in for the image.
        shape_only = torch.empty(1).expand(1, height, width)
        top, left, height, width = RandomResizedCrop.get_params(
            shape_only, scale=(self.min_scale, 1.0), ratio=(3 / 4, 4 / 3))
        crop = Crop(top, left, height, width, flip=bool(torch.rand(1) < 0.5))
        return crop.on_grid(dct_reduction(crop, self.resolution))


@dataclass(frozen=True)
class CenterCropPlan:
    """ImageNet validation: resize the short side to ``resolution / crop_fraction`` and take the
    centre ``resolution``² (256 -> 224), as the box it is in the original pixels."""

    resolution: int
    crop_fraction: float = 0.875

    def __call__(self, width: int, height: int) -> Crop:
        resized_short = round(self.resolution / self.crop_fraction)
        side = self.resolution * min(width, height) / resized_short
        crop = Crop((height - side) / 2, (width - side) / 2, side, side)
        return crop.on_grid(dct_reduction(crop, self.resolution))


CropPlan = Callable[[int, int], Crop]


def dct_reduction(crop: Crop, resolution: int) -> int:
    """The largest of 1, 2, 4, 8 by which the box, moved onto that grid, can shrink and still be
    ``resolution`` pixels a side: nothing is then upsampled that the full decode would not."""
    for reduction in DCT_REDUCTIONS:
        box = crop.on_grid(reduction)
        if min(box.height, box.width) >= reduction * resolution:
            return reduction
    return 1


def _pil_crop(path: str, plan: CropPlan, resolution: int) -> torch.Tensor:
    with Image.open(path) as image:
        crop = plan(*image.size)
        # decoded here, so a truncated file fails here and not later in a worker
        rgb = np.array(image.convert("RGB"))
    return _tensor_crop(torch.from_numpy(rgb).permute(2, 0, 1), crop, resolution)


def _scaled_crop(path: str, plan: CropPlan, resolution: int) -> torch.Tensor:
    data = Path(path).read_bytes()
    try:
        height, width, _, _ = simplejpeg.decode_jpeg_header(data)
        crop = plan(width, height)
        reduction = dct_reduction(crop, resolution)
        rgb = simplejpeg.decode_jpeg(data, colorspace="RGB",
                                     min_height=math.ceil(height / reduction),
                                     min_width=math.ceil(width / reduction))
    except ValueError:  # not a JPEG libjpeg-turbo reads: PIL decodes it, or says what is wrong
        return _pil_crop(path, plan, resolution)
    decoded = torch.from_numpy(rgb).permute(2, 0, 1)
    return _tensor_crop(decoded, crop.scaled(rgb.shape[1] / width, rgb.shape[0] / height),
                        resolution)


def _tensor_crop(image: torch.Tensor, crop: Crop, resolution: int) -> torch.Tensor:
    """The box of a decoded uint8 CHW tensor (on any device), resized with antialiasing."""
    top, left = round(crop.top), round(crop.left)
    out = TF.resized_crop(image, top, left, max(1, round(crop.height)), max(1, round(crop.width)),
                          [resolution, resolution], antialias=True)
    return TF.horizontal_flip(out) if crop.flip else out


def _header(path: str, plan: CropPlan) -> Crop:
    with Image.open(path) as image:  # reads the header only
        return plan(*image.size)


def _torchcodec_crop(path: str, plan: CropPlan, resolution: int) -> torch.Tensor:
    from torchcodec.decoders import decode_image

    crop = _header(path, plan)
    return _tensor_crop(decode_image(path, mode="RGB"), crop, resolution)


def _torchvision_crop(path: str, plan: CropPlan, resolution: int) -> torch.Tensor:
    from torchvision.io import ImageReadMode, decode_image

    crop = _header(path, plan)
    data = torch.frombuffer(bytearray(Path(path).read_bytes()), dtype=torch.uint8)
    return _tensor_crop(decode_image(data, mode=ImageReadMode.RGB), crop, resolution)


def _encoded(path: str, plan: CropPlan, resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For ``device``: the file's bytes and its crop, decoded later on the GPU."""
    crop = _header(path, plan)
    data = torch.frombuffer(bytearray(Path(path).read_bytes()), dtype=torch.uint8)
    return data, crop.as_tensor()


CPU_DECODERS: dict[str, Callable[[str, CropPlan, int], torch.Tensor]] = {
    "jpeg-scaled": _scaled_crop,
    "pil": _pil_crop,
    "torchcodec": _torchcodec_crop,
    "torchvision": _torchvision_crop,
}


@dataclass(frozen=True)
class CropLoader:
    """An ImageFolder ``loader``: path -> the planned crop, decoded by ``decoder`` (picklable, so
    that worker processes can hold it)."""

    decoder: str
    plan: CropPlan
    resolution: int

    def __call__(self, path: str):
        if self.decoder == "device":
            return _encoded(path, self.plan, self.resolution)
        return CPU_DECODERS[self.decoder](path, self.plan, self.resolution)


def collate_encoded(samples: Sequence[tuple[tuple[torch.Tensor, torch.Tensor], int]]):
    """A batch for ``device``: the files' bytes (of different lengths) as a list, their crops and
    labels stacked."""
    encoded = [data for (data, _), _ in samples]
    crops = torch.stack([crop for (_, crop), _ in samples])
    labels = torch.tensor([label for _, label in samples])
    return (encoded, crops), labels


def decode_on_device(encoded: list[torch.Tensor], crops: torch.Tensor, resolution: int,
                     device: torch.device | str) -> torch.Tensor:
    """A batch of JPEG bytes decoded on ``device`` in one call (nvJPEG's batched decode), each image
    cropped there; a file nvJPEG refuses (a PNG named .JPEG, a CMYK JPEG) is decoded on the CPU."""
    from torchcodec.decoders import decode_image, decode_jpeg

    try:
        images = decode_jpeg(encoded, mode="RGB", device=device)
    except RuntimeError:
        images = []
        for data in encoded:
            try:
                images.append(cast(torch.Tensor, decode_jpeg(data, mode="RGB", device=device)))
            except RuntimeError:
                images.append(decode_image(data, mode="RGB").to(device))
    return torch.stack([_tensor_crop(image, Crop.from_tensor(crop), resolution)
                        for image, crop in zip(images, crops)])
