"""Tiny ImageNet (Stanford CS231n): 200 ImageNet classes, 64x64 JPEGs, 500 train / 50 val each.

``root`` is the extracted ``tiny-imagenet-200`` folder (or a folder holding it), or the archive
itself (``.zip`` as published, or a ``.tar.gz``). The JPEGs are decoded once, class by class, into
uint8 arrays cached under ``cache_dir``; later runs read only the cache, so a trial starts in
seconds and an archive is never unpacked to disk. Without ``root`` the official zip is downloaded
into ``download_root`` when online.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from rich.progress import track

from mobisweep.core.atomic_files import free_bytes, megabytes, write_atomic
from mobisweep.core.errors import ConfigError, is_integer
from mobisweep.data.folder import IMAGENET_MEAN, IMAGENET_STD
from mobisweep.data.in_memory import Batch, InMemoryDataModule

log = logging.getLogger(__name__)

URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
FOLDER = "tiny-imagenet-200"
SIZE = 64
# One class in the cache: 500 training and 50 validation images of 64x64x3 bytes, and npz headers.
CLASS_CACHE_BYTES = 550 * SIZE * SIZE * 3 + 4096
LAYOUT = ("tiny-imagenet-200/wnids.txt, train/<wnid>/images/*.JPEG, val/images/*.JPEG and "
          "val/val_annotations.txt")


def select_classes(wnids: Sequence[str], classes: int | Sequence[str] | None) -> list[str]:
    """All wnids (``None``), ``n`` of them (every ``len // n``-th in sorted order: a fixed subset),
    or the listed ones; sorted, so that label ``i`` is the same class in every run."""
    ordered = sorted(wnids)
    if classes is None:
        return ordered
    if is_integer(classes):
        count = int(classes)  # type: ignore[arg-type]  # is_integer: an int or an integral float
        if not 2 <= count <= len(ordered):
            raise ConfigError("data.classes", classes, f"must be 2..{len(ordered)} or a wnid list")
        return ordered[:: len(ordered) // count][:count]
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) < 2:
        raise ConfigError("data.classes", classes, "must be a count or a list of >= 2 wnids")
    unknown = sorted(set(classes) - set(ordered))
    if unknown:
        raise ConfigError("data.classes", unknown[:3], "not wnids of Tiny ImageNet (wnids.txt)")
    if len(set(classes)) != len(classes):
        raise ConfigError("data.classes", list(classes), "lists a wnid twice")
    return sorted(classes)


class _Source:
    """Members of the data set by their path below ``tiny-imagenet-200/``: a folder or an
    archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self.base = path if (path / "wnids.txt").is_file() else path / FOLDER
            self.kind = "folder"
        elif path.is_file() and path.name.endswith(".zip"):
            self.kind = "zip"
        elif path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
            self.kind = "tar"
        else:
            raise ConfigError("data.root", str(path), f"not a folder or a .zip/.tar.gz archive "
                                                     f"(expected {LAYOUT})")

    def fingerprint(self) -> str:
        """Names the cache: another copy or a changed archive is decoded afresh."""
        probe = self.base / "wnids.txt" if self.kind == "folder" else self.path
        if not probe.is_file():
            raise ConfigError("data.root", str(self.path), f"no {FOLDER}/wnids.txt there "
                                                          f"(expected {LAYOUT})")
        stat = probe.stat()
        key = f"{probe.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    def members(self, wanted: set[str] | None = None) -> Iterator[tuple[str, bytes]]:
        """``(name below tiny-imagenet-200/, bytes)``; only names in ``wanted`` when given. A
        truncated or damaged archive is one line naming it (what was decoded before stays
        cached)."""
        try:
            yield from self._members(wanted)
        except (EOFError, OSError, tarfile.TarError, zipfile.BadZipFile, zlib.error) as error:
            raise ConfigError("data.root", str(self.path), f"damaged archive: {error}") from None

    def _members(self, wanted: set[str] | None) -> Iterator[tuple[str, bytes]]:
        if self.kind == "folder":
            names = wanted if wanted is not None else (
                str(p.relative_to(self.base)) for p in self.base.rglob("*") if p.is_file())
            for name in names:
                if (self.base / name).is_file():
                    yield name, (self.base / name).read_bytes()
        elif self.kind == "zip":
            with zipfile.ZipFile(self.path) as archive:
                for entry in archive.infolist():
                    inner = _inner(entry.filename)
                    if inner and not entry.is_dir() and (wanted is None or inner in wanted):
                        yield inner, archive.read(entry)
        else:
            # One sequential pass: gzip cannot seek, so members are read in archive order.
            with tarfile.open(self.path, "r:*") as archive:
                for member in archive:
                    inner = _inner(member.name)
                    if inner and member.isfile() and (wanted is None or inner in wanted):
                        yield inner, archive.extractfile(member).read()  # type: ignore[union-attr]

    def read_text(self, name: str) -> str:
        for _, data in self.members({name}):
            return data.decode()
        raise ConfigError("data.root", str(self.path), f"no {FOLDER}/{name} there "
                                                      f"(expected {LAYOUT})")


def _inner(name: str) -> str | None:
    """``tiny-imagenet-200/train/...`` -> ``train/...``; None outside that folder."""
    parts = name.replace("\\", "/").lstrip("./").split("/", 1)
    return parts[1] if len(parts) == 2 and parts[0] == FOLDER else None


def decode(data: bytes, name: str) -> np.ndarray:
    """One image as HWC uint8 RGB at 64x64 (greyscale expanded; any other size resized)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
            if image.size != (SIZE, SIZE):
                image = image.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
            return np.asarray(image, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, SyntaxError) as error:
        raise ConfigError("data.root", name, f"unreadable image: {error}") from None


class TinyImageNetDataModule(InMemoryDataModule):
    """Tiny ImageNet in memory, augmented on the device (random-resized crop, flip)."""

    mean = IMAGENET_MEAN
    std = IMAGENET_STD

    def __init__(self, root: str | None = None, classes: int | Sequence[str] | None = None,
                 cache_dir: str = "data/tiny-imagenet-cache", download: bool = True,
                 download_root: str = "data", **kwargs) -> None:
        kwargs.setdefault("min_scale", 0.35)
        super().__init__(**kwargs)
        self.root = Path(root).expanduser() if root else None
        self.classes = classes
        self.cache_dir, self.download = Path(cache_dir).expanduser(), download
        self.download_root = Path(download_root).expanduser()
        self.wnids: list[str] | None = None

    def source(self) -> _Source:
        if self.root is not None:
            if not self.root.exists():
                raise ConfigError("data.root", str(self.root), f"no such file or folder "
                                                               f"(expected {LAYOUT})")
            return _Source(self.root)
        archive = self.download_root / "tiny-imagenet-200.zip"
        if not archive.is_file():
            if not self.download:
                raise ConfigError("data.root", None, f"set it to Tiny ImageNet ({LAYOUT}) or "
                                                     f"allow data.download")
            try:
                from torchvision.datasets.utils import download_url

                download_url(URL, str(self.download_root), filename=archive.name)
            except Exception as error:  # offline, or the server is down: say what was tried
                raise ConfigError("data.root", None, f"not set, and downloading {URL} failed "
                                                     f"({type(error).__name__}: {error})") from None
        return _Source(archive)

    def load(self) -> tuple[Batch, Batch]:
        source = self.source()
        folder = self.cache_dir / source.fingerprint()
        wnids_file = folder / "wnids.txt"
        if not wnids_file.is_file():
            write_atomic(wnids_file, source.read_text("wnids.txt").encode(),
                         what="the Tiny ImageNet cache's class list", field="data.cache_dir")
        self.wnids = select_classes(wnids_file.read_text().split(), self.classes)
        if len(self.wnids) != self.num_classes:
            raise ConfigError("data.num_classes", self.num_classes,
                              f"data.classes selects {len(self.wnids)} classes")
        missing = [w for w in self.wnids if not (folder / f"{w}.npz").is_file()]
        if missing:
            check_cache_space(folder, len(missing))
            _decode_into(source, folder, missing)
        splits: dict[str, list] = {"train": [[], []], "val": [[], []]}
        for label, wnid in enumerate(self.wnids):
            arrays = read_cached(folder / f"{wnid}.npz")
            if isinstance(arrays, str):  # damaged (a disk error, a copy cut short): decoded again
                log.warning("Tiny ImageNet cache %s is damaged (%s): decoding class %s again",
                            folder / f"{wnid}.npz", arrays, wnid)
                _decode_into(source, folder, [wnid])
                arrays = read_cached(folder / f"{wnid}.npz")
                if isinstance(arrays, str):
                    raise ConfigError("data.cache_dir", str(folder), f"{wnid}.npz: {arrays}")
            for split in splits:
                images = torch.from_numpy(arrays[split]).permute(0, 3, 1, 2)
                splits[split][0].append(images)
                splits[split][1].append(torch.full((len(images),), label, dtype=torch.long))
        train, val = ((torch.cat(x), torch.cat(y)) for x, y in splits.values())
        return train, val


def read_cached(path: Path) -> dict[str, np.ndarray] | str:
    """One class of the cache (``train``, ``val``: N x 64 x 64 x 3 uint8), or what is wrong with
    it."""
    try:
        # Our own handle: np.load leaves its file open when the content is not an archive.
        with path.open("rb") as stream, np.load(stream) as stored:
            arrays = {split: stored[split] for split in ("train", "val")}
    except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError,
            zipfile.BadZipFile) as error:  # a .npy or pickle in its place: no context manager
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    for split, array in arrays.items():
        if array.dtype != np.uint8 or array.ndim != 4 or array.shape[1:] != (SIZE, SIZE, 3):
            return f"{split} holds {array.dtype} {array.shape}, not N x {SIZE} x {SIZE} x 3 uint8"
    return arrays


def check_cache_space(folder: Path, classes: int) -> None:
    """The cache's size is known before a JPEG is decoded: refuse a volume too small for it now,
    rather than fill it and stop half-way."""
    needed = classes * CLASS_CACHE_BYTES
    free = free_bytes(folder)
    if free < needed:
        raise ConfigError(
            "data.cache_dir",
            str(folder),
            f"the Tiny ImageNet cache of {classes} classes needs {megabytes(needed)}, "
            f"{megabytes(free)} free there (set paths.data_dir or data.cache_dir "
            "to a larger volume)",
        )


def _decode_into(source: _Source, folder: Path, wnids: list[str]) -> None:
    """Decode the images of ``wnids`` from ``source`` into ``folder/<wnid>.npz`` (train, val)."""
    annotations = source.read_text("val/val_annotations.txt")
    val_of = {}
    for line in annotations.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1] in wnids:
            val_of[f"val/images/{fields[0]}"] = fields[1]
    images: dict[str, dict[str, list[tuple[str, np.ndarray]]]] = {
        w: {"train": [], "val": []} for w in wnids}
    train_prefixes = {f"train/{w}/images/": w for w in wnids}
    wanted = None if source.kind != "folder" else _folder_names(source, wnids, val_of)
    members = source.members(wanted)
    for name, data in track(members, description=f"decoding Tiny ImageNet ({len(wnids)} classes)",
                            transient=True):
        if not name.endswith((".JPEG", ".jpeg", ".jpg")):
            continue
        if name in val_of:
            images[val_of[name]]["val"].append((name, decode(data, name)))
            continue
        prefix = name[: name.rfind("/") + 1]
        if prefix in train_prefixes:
            images[train_prefixes[prefix]]["train"].append((name, decode(data, name)))
    for wnid, split in images.items():
        if not split["train"] or not split["val"]:
            empty = "train" if not split["train"] else "val"
            raise ConfigError("data.root", str(source.path),
                              f"class {wnid} has no {empty} images (expected {LAYOUT})")
        arrays = {k: np.stack([image for _, image in sorted(v, key=lambda item: item[0])])
                  for k, v in split.items()}
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub reads allow_pickle
        write_atomic(folder / f"{wnid}.npz", buffer.getvalue(),
                     what=f"the Tiny ImageNet cache of class {wnid}", field="data.cache_dir")
    log.info("Tiny ImageNet: %d classes decoded into %s", len(wnids), folder)


def _folder_names(source: _Source, wnids: list[str], val_of: dict[str, str]) -> set[str]:
    names = set(val_of)
    for wnid in wnids:
        directory = source.base / "train" / wnid / "images"
        if directory.is_dir():
            names.update(f"train/{wnid}/images/{p.name}" for p in directory.iterdir())
    return names
