"""Every image-folder decoder delivers the same crop of the same file (``mobisweep.data.decoders``),
the DCT-scaled one included, and the default path uses no deprecated API."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits
from torchvision.transforms import v2

from mobisweep.core.errors import ConfigError
from mobisweep.data.decoders import (
    CPU_DECODERS,
    DEFAULT_DECODER,
    CenterCropPlan,
    Crop,
    CropLoader,
    RandomCropPlan,
    collate_encoded,
    dct_reduction,
    decode_on_device,
)
from mobisweep.data.folder import ImageFolderDataModule, check_decoder

SIZE = (500, 375)  # ImageNet's most common photograph size
# Mean absolute difference, in uint8 levels, allowed between two decoders' crops. libjpeg-turbo's
# scaled IDCT and a full decode followed by an antialiased resize differ by rounding and filter
# shape, well under this; a misplaced or mis-scaled box differs by tens of levels.
TOLERANCE = 3.0


def write_photos(folder: Path, count: int = 6) -> list[Path]:
    """``count`` JPEGs of 500x375: three digits as the colour channels, upscaled smoothly."""
    folder.mkdir(parents=True, exist_ok=True)
    images = load_digits().images
    paths = []
    for i in range(count):
        rgb = (np.stack([images[3 * i + k] for k in range(3)], axis=-1) * 255 / 16).astype("uint8")
        path = folder / f"{i}.jpg"
        Image.fromarray(rgb).resize(SIZE, Image.BICUBIC).save(path, quality=90)
        paths.append(path)
    return paths


def fixed(crop: Crop):
    return lambda width, height: crop


CROPS = [Crop(0, 62.5, 375, 375), Crop(40, 100, 300, 260, flip=True), Crop(200, 300, 150, 180),
         Crop(10, 10, 60, 90)]


@pytest.mark.parametrize("resolution", [224, 128, 64])
def test_every_cpu_decoder_delivers_the_same_crop(tmp_path, resolution):
    paths = write_photos(tmp_path)
    reductions = set()
    for path in paths:
        for crop in CROPS:
            crop = crop.on_grid(dct_reduction(crop, resolution))  # as the plans emit them
            reference = CPU_DECODERS["pil"](str(path), fixed(crop), resolution).float()
            assert reference.shape == (3, resolution, resolution)
            for name, decode in CPU_DECODERS.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # torchvision's own
                    out = decode(str(path), fixed(crop), resolution)
                assert out.dtype == torch.uint8 and out.shape == reference.shape, name
                gap = (out.float() - reference).abs().mean().item()
                assert gap < TOLERANCE, (name, crop, gap)
            reductions.add(dct_reduction(crop, resolution))
    if resolution <= 128:
        assert max(reductions) > 1  # the scaled decode was exercised, not only the full one


def test_a_mirrored_box_is_not_the_same_crop(tmp_path):
    """The tolerance is tight enough to see a wrong crop: a flipped box is far from the
    unflipped."""
    path = str(write_photos(tmp_path, count=1)[0])
    crop = CROPS[1]
    plain = CPU_DECODERS[DEFAULT_DECODER](path, fixed(Crop(crop.top, crop.left, crop.height,
                                                           crop.width)), 128).float()
    flipped = CPU_DECODERS[DEFAULT_DECODER](path, fixed(crop), 128).float()
    assert (plain - flipped).abs().mean().item() > 5 * TOLERANCE


def test_dct_reduction_keeps_the_box_at_least_the_resolution():
    assert dct_reduction(Crop(0, 0, 375, 375), 224) == 1
    assert dct_reduction(Crop(0, 0, 375, 375), 160) == 2
    assert dct_reduction(Crop(0, 0, 375, 500), 64) == 4
    assert dct_reduction(Crop(0, 0, 375, 500), 40) == 8
    assert dct_reduction(Crop(0, 0, 100, 100), 128) == 1  # smaller than the output: full decode
    # 1..257 holds 256 pixels, but on the grid of 2 only 2..256: 254 < 2 * 128
    assert dct_reduction(Crop(1, 1, 256, 256), 128) == 1
    assert Crop(1, 3, 256, 250).on_grid(2) == Crop(2, 4, 254, 248)


def test_the_plans_emit_boxes_on_the_grid_of_their_reduction():
    torch.manual_seed(0)
    for plan in (RandomCropPlan(64), CenterCropPlan(64), RandomCropPlan(128)):
        for _ in range(50):
            crop = plan(*SIZE)
            step = dct_reduction(crop, plan.resolution)
            assert crop.on_grid(step) == crop
            assert min(crop.height, crop.width) >= step * plan.resolution or step == 1


def test_the_center_crop_plan_is_resize_then_center_crop(tmp_path):
    """Validation's box, cut from the original, equals torchvision's Resize(146) +
    CenterCrop(128)."""
    path = str(write_photos(tmp_path, count=1)[0])
    image = torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1)
    expected = v2.Compose([v2.Resize(146, antialias=True), v2.CenterCrop(128)])(image).float()
    for name in ("jpeg-scaled", "pil"):
        out = CPU_DECODERS[name](path, CenterCropPlan(128, 0.875), 128).float()
        assert (out - expected).abs().mean().item() < TOLERANCE, name


def test_the_random_plan_draws_torchvision_boxes():
    torch.manual_seed(0)
    crops = [RandomCropPlan(224, min_scale=0.08)(*SIZE) for _ in range(200)]
    areas = [c.height * c.width / (SIZE[0] * SIZE[1]) for c in crops]
    assert 0.08 <= min(areas) and max(areas) <= 1.0
    assert all(0 <= c.top and c.top + c.height <= SIZE[1] and c.left + c.width <= SIZE[0]
               for c in crops)
    assert 60 < sum(c.flip for c in crops) < 140


def test_a_png_and_a_greyscale_jpeg_go_through_the_default_decoder(tmp_path):
    grey = tmp_path / "grey.jpg"
    Image.fromarray((load_digits().images[0] * 16).astype("uint8")).resize(SIZE).save(grey)
    png = tmp_path / "named.JPEG"  # ImageNet holds a PNG named .JPEG
    Image.open(write_photos(tmp_path / "p", 1)[0]).save(png, format="PNG")
    for path in (grey, png):
        out = CPU_DECODERS[DEFAULT_DECODER](str(path), CenterCropPlan(64), 64)
        assert out.shape == (3, 64, 64) and out.dtype == torch.uint8


def test_the_default_decoder_uses_no_deprecated_api(tmp_path):
    path = str(write_photos(tmp_path, count=1)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CropLoader(DEFAULT_DECODER, RandomCropPlan(128), 128)(path)


def test_the_device_batch_decodes_to_the_same_crops(tmp_path):
    """``device``'s path (bytes in the workers, one batched decode) run on the CPU here: the same
    crops as TorchCodec's decode image by image."""
    pytest.importorskip("torchcodec")
    paths = [str(p) for p in write_photos(tmp_path)]
    loader = CropLoader("device", RandomCropPlan(96), 96)
    torch.manual_seed(1)
    samples = [(loader(p), i) for i, p in enumerate(paths)]
    (encoded, crops), labels = collate_encoded(samples)
    batch = decode_on_device(encoded, crops, 96, "cpu")
    assert batch.shape == (len(paths), 3, 96, 96) and labels.tolist() == list(range(len(paths)))
    for path, crop, image in zip(paths, crops, batch):
        one = CPU_DECODERS["torchcodec"](path, fixed(Crop.from_tensor(crop)), 96)
        assert torch.equal(one, image)


def test_the_device_decoder_falls_back_to_the_cpu_in_one_line(tmp_path, caplog):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: nothing falls back")
    pytest.importorskip("torchcodec")
    for split in ("train", "val"):
        write_photos(tmp_path / split / "class_0", count=2)
        write_photos(tmp_path / split / "class_1", count=2)
    data = ImageFolderDataModule(str(tmp_path), num_classes=2, resolution=64, num_workers=0,
                                 decoder="device", batch_size=4)
    with caplog.at_level(logging.WARNING, logger="mobisweep.data.folder"):
        data.setup()
    notices = [r.getMessage() for r in caplog.records]
    assert len(notices) == 1 and "no CUDA device" in notices[0] and DEFAULT_DECODER in notices[0]
    images, _ = next(iter(data.train_dataloader()))
    assert images.dtype == torch.uint8 and images.shape == (4, 3, 64, 64)


def test_an_unknown_or_uninstalled_decoder_is_refused_in_one_line(monkeypatch):
    with pytest.raises(ConfigError, match=r"data.decoder='nvjpeg'.*must be one of jpeg-scaled"):
        check_decoder("nvjpeg")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"needs TorchCodec: pip install 'mobisweep\[gpu\]'"):
        check_decoder("torchcodec")
