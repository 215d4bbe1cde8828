"""Images per second that one core of the image-folder loader (ImageNet's path) delivers, per
decoder and resolution.

An ImageNet trial on a GPU waits for its data-loader workers: each worker decodes a full-size JPEG,
crops and flips it. This builds an ImageFolder tree of full-size JPEGs (Tiny ImageNet photographs
from the shared archive, upscaled to ImageNet's typical 500x375 and saved at quality 95), then times
``ImageFolderDataModule``'s training dataset item by item in one process with one torch thread
(what one worker on one core does), for each ``data.decoder`` (``mobisweep.data.decoders``) at each
of the paper's resolutions 224 * rho. Every decoder delivers the same uint8 crop; the float
conversion and normalization run on the batch, on the device (timed apart on this CPU, as the worst
case: on a GPU it is free).

Rounds alternate between the decoders; medians are printed, with each decoder's ratio to
``torchvision`` (the default path before ``jpeg-scaled``), and written to ``--csv``. Not a
timed test: run it on an idle machine.

    .venv/bin/python benchmarks/folder_loader.py --archive ../shared/data/tiny-imagenet-200.tar.gz
    .venv/bin/python benchmarks/folder_loader.py --root /data/ILSVRC2012 --images 2000   # your data
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tarfile
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from mobisweep.data.decoders import CPU_DECODERS
from mobisweep.data.folder import ImageFolderDataModule

SIZE = (500, 375)
RHOS = (1.0, 6 / 7, 5 / 7, 4 / 7)


def make_tree(archive: Path, root: Path, images: int, classes: int = 4) -> float:
    """``images`` full-size JPEGs in ``classes`` class folders (train and val); their mean KB."""
    written, sizes = 0, []
    with tarfile.open(archive, "r:*") as stream:
        for member in stream:
            if written >= images:
                break
            if not (member.isfile() and "/train/" in member.name and member.name.endswith(".JPEG")):
                continue
            with Image.open(io.BytesIO(stream.extractfile(member).read())) as image:
                big = image.convert("RGB").resize(SIZE, Image.BICUBIC)
            for split in ("train", "val"):
                folder = root / split / f"class_{written % classes}"
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{written}.jpg"
                big.save(path, quality=95)
            sizes.append(path.stat().st_size / 1024)
            written += 1
    return statistics.mean(sizes)


def images_per_second(root: Path, decoder: str, resolution: int, classes: int,
                      images: int | None) -> float:
    data = ImageFolderDataModule(str(root), num_classes=classes, resolution=resolution,
                                 num_workers=0, decoder=decoder, train_subset=images)
    data.setup()
    dataset = data.train_set
    started = time.perf_counter()
    for i in range(len(dataset)):
        dataset[i]
    return len(dataset) / (time.perf_counter() - started)


def normalize_per_second(root: Path, resolution: int, classes: int, batch: int = 64) -> float:
    """The torchvision path's on-device step (float, normalize, channels_last) on this CPU."""
    data = ImageFolderDataModule(str(root), num_classes=classes, resolution=resolution,
                                 num_workers=0)
    images = torch.randint(0, 256, (batch, 3, resolution, resolution), dtype=torch.uint8)
    labels = torch.zeros(batch, dtype=torch.int64)
    started, rounds = time.perf_counter(), 20
    for _ in range(rounds):
        data.on_after_batch_transfer((images, labels), 0)
    return rounds * batch / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path,
                        default=Path("../shared/data/tiny-imagenet-200.tar.gz"))
    parser.add_argument("--root", type=Path, help="your own ImageFolder tree (e.g. ILSVRC2012) "
                        "instead of the JPEGs made from the archive: --images of its training set")
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--rhos", type=float, nargs="+", default=list(RHOS))
    parser.add_argument("--decoders", nargs="+", default=list(CPU_DECODERS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv", type=Path, help="write the rounds here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as folder:
        if args.root:
            root, subset = args.root, args.images
            classes = len([p for p in (root / "train").iterdir() if p.is_dir()])
            print(f"{args.images} training images of {root}; ", end="")
        else:
            root, subset, classes = Path(folder), None, 4
            kb = make_tree(args.archive, root, args.images)
            print(f"{args.images} JPEGs of {SIZE[0]}x{SIZE[1]} px, mean {kb:.0f} KB; ", end="")
        print("RandomResizedCrop + flip; one process, one torch thread; img/s per core")
        for rho in args.rhos:
            resolution = round(224 * rho)
            for repeat in range(args.repeats):
                for decoder in args.decoders:
                    rate = images_per_second(root, decoder, resolution, classes, subset)
                    rows.append({"rho": rho, "resolution": resolution, "decoder": decoder,
                                 "round": repeat, "images_per_s": rate})
            medians = {d: statistics.median(r["images_per_s"] for r in rows
                                            if r["rho"] == rho and r["decoder"] == d)
                       for d in args.decoders}
            base = medians.get("torchvision")
            cells = ", ".join(f"{d} {v:.0f}" + (f" ({v / base:.2f}x)" if base else "")
                              for d, v in medians.items())
            print(f"  rho {rho:.3f} ({resolution} px): {cells}")
        print(f"  on-device normalization on this CPU: "
              f"{normalize_per_second(root, 224, classes):.0f} img/s at 224 px")
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with args.csv.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return rows


if __name__ == "__main__":
    main()
