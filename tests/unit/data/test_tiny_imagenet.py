"""Tiny ImageNet, read from the real archive in ``../shared/data`` (three of its classes)."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path

import pytest
import torch

from mobisweep.core.errors import ConfigError
from mobisweep.data import TinyImageNetDataModule, tiny_imagenet
from tests.conftest import REPO, run_module

ARCHIVE = REPO.parent / "shared" / "data" / "tiny-imagenet-200.tar.gz"
# A goldfish, an hourglass (48 of its 500 training images are greyscale) and an acorn.
CLASSES = ["n01443537", "n03544143", "n12267677"]

pytestmark = pytest.mark.skipif(not ARCHIVE.is_file(), reason=f"{ARCHIVE} is not there")


def module(root: Path, cache: Path, **kwargs) -> TinyImageNetDataModule:
    kwargs.setdefault("classes", CLASSES)
    kwargs.setdefault("num_classes", len(CLASSES))
    return TinyImageNetDataModule(root=str(root), cache_dir=str(cache), resolution=64, **kwargs)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny-imagenet-cache")


@pytest.fixture(scope="module")
def from_archive(cache):
    started = time.perf_counter()
    loaded = module(ARCHIVE, cache).load()
    return loaded, time.perf_counter() - started


def test_the_archive_decodes_into_rgb_uint8_tensors(from_archive):
    ((train_x, train_y), (val_x, val_y)), _ = from_archive
    assert train_x.shape == (1500, 3, 64, 64) and val_x.shape == (150, 3, 64, 64)
    assert train_x.dtype == torch.uint8
    assert torch.bincount(train_y).tolist() == [500] * 3
    assert torch.bincount(val_y).tolist() == [50] * 3
    # Greyscale JPEGs of the hourglass class become three equal planes; colour images do not.
    hourglass = train_x[train_y == 1]
    grey = (hourglass[:, 0] == hourglass[:, 1]).flatten(1).all(1) & \
           (hourglass[:, 1] == hourglass[:, 2]).flatten(1).all(1)
    assert 40 <= int(grey.sum()) < 500


def test_a_second_run_reads_only_the_cache(from_archive, cache, monkeypatch):
    ((train_x, _), (val_x, _)), first = from_archive
    monkeypatch.setattr(tiny_imagenet._Source, "members",
                        lambda *a, **k: pytest.fail("the archive was read again"))
    started = time.perf_counter()
    (again_x, _), (again_val, _) = module(ARCHIVE, cache).load()
    assert time.perf_counter() - started < first  # measured here: faster than decoding the archive
    assert torch.equal(again_x, train_x) and torch.equal(again_val, val_x)
    assert sorted(p.name for p in next(cache.iterdir()).glob("*.npz")) == \
        [f"{w}.npz" for w in CLASSES]


def test_the_extracted_folder_gives_the_same_tensors(from_archive, tmp_path):
    ((train_x, train_y), (val_x, val_y)), _ = from_archive
    prefixes = ("tiny-imagenet-200/wnids.txt", "tiny-imagenet-200/val/val_annotations.txt",
                *(f"tiny-imagenet-200/train/{w}/" for w in CLASSES))
    with tarfile.open(ARCHIVE) as archive:
        text = archive.extractfile("tiny-imagenet-200/val/val_annotations.txt").read().decode()
    wanted_val = {f"tiny-imagenet-200/val/images/{line.split()[0]}"
                  for line in text.splitlines() if line.split()[1] in CLASSES}
    with tarfile.open(ARCHIVE) as archive:
        members = [m for m in archive if m.name.startswith(prefixes) or m.name in wanted_val]
        archive.extractall(tmp_path, members=members, filter="data")
    assert len(wanted_val) == 150
    (x, y), (vx, vy) = module(tmp_path, tmp_path / "cache").load()  # the folder holding it
    assert torch.equal(x, train_x) and torch.equal(y, train_y)
    assert torch.equal(vx, val_x) and torch.equal(vy, val_y)


def test_classes_count_is_a_fixed_documented_subset():
    wnids = [f"n{i:08d}" for i in range(200, 0, -1)]  # any order: the selection sorts
    chosen = tiny_imagenet.select_classes(wnids, 50)
    assert chosen == sorted(wnids)[::4] and len(chosen) == 50
    assert tiny_imagenet.select_classes(wnids, None) == sorted(wnids)
    assert tiny_imagenet.select_classes(wnids, ["n00000007", "n00000003"]) == \
        ["n00000003", "n00000007"]


@pytest.mark.parametrize("classes, message", [
    (1, r"^data.classes=1: must be 2..200"),
    (201, r"^data.classes=201: must be 2..200"),
    (["n01443537", "n99999999"], r"^data.classes=\['n99999999'\]: not wnids"),
    (["n01443537", "n01443537"], r"lists a wnid twice"),
])
def test_bad_classes_are_refused_naming_the_field(cache, from_archive, classes, message):
    with pytest.raises(ConfigError, match=message):
        module(ARCHIVE, cache, classes=classes, num_classes=3).load()


def test_num_classes_must_match_the_selection(cache, from_archive):
    with pytest.raises(ConfigError, match=r"^data.num_classes=10: data.classes selects 3 classes"):
        module(ARCHIVE, cache, num_classes=10).load()


def test_a_wrong_layout_is_one_line_naming_the_path_and_what_is_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"^data.root='.*empty': no tiny-imagenet-200/wnids.txt"):
        module(empty, tmp_path / "cache").load()
    with pytest.raises(ConfigError, match=r"^data.root='.*nowhere': no such file or folder"):
        module(tmp_path / "nowhere", tmp_path / "cache").load()
    partial = tmp_path / "tiny-imagenet-200"
    (partial / "val").mkdir(parents=True)
    (partial / "wnids.txt").write_text("\n".join(CLASSES) + "\n")
    (partial / "val" / "val_annotations.txt").write_text("")
    with pytest.raises(ConfigError, match=r"class n01443537 has no train images"):
        module(tmp_path, tmp_path / "cache").load()


def test_crops_and_downsampling_happen_on_the_batch(from_archive, cache):
    data = module(ARCHIVE, cache, min_scale=0.35)
    data.resolution = 37  # rho 4/7 of 64: the paper's 128 px divided by 3.5
    data.setup()
    images, _ = next(iter(data.val_dataloader()))
    val = data.transform(images, training=False)
    assert val.shape == (len(images), 3, 37, 37)
    assert torch.equal(val, data.transform(images, training=False))
    torch.manual_seed(0)
    train = data.transform(images, training=True)
    assert train.shape == val.shape and not torch.equal(train, val)


def test_the_class_count_follows_the_selection(compose):
    """``data.classes=10`` alone is enough; a count set beside it must still agree (see above)."""
    assert compose(["data=tiny_imagenet", "data.classes=10"]).data.num_classes == 10
    assert compose(["data=tiny_imagenet", f"data.classes=[{','.join(CLASSES)}]"]
                   ).data.num_classes == 3
    assert compose(["data=tiny_imagenet", "data.classes=10", "data.num_classes=20"]
                   ).data.num_classes == 20  # explicit: the data module refuses the mismatch


def test_composed_config_matches_the_paper_resolutions(compose):
    cfg = compose(["data=tiny_imagenet"])
    assert cfg.data.resolution == 64 and cfg.data.num_classes == 200
    sizes = [compose(["data=tiny_imagenet", f"data.rho={rho}"]).data.resolution
             for rho in (1.0, 0.857, 0.714, 0.571)]
    assert sizes == [64, 55, 46, 37]  # 224/192/160/128 divided by 3.5


def test_a_trial_trains_on_real_classes_and_records_its_curve(from_archive, cache, tmp_path):
    result = run_module(
        "mobisweep", "data=tiny_imagenet", f"data.root={ARCHIVE}", f"data.cache_dir={cache}",
        f"data.classes=[{','.join(CLASSES)}]", "data.num_classes=3", "data.rho=0.571",
        "model.alpha=0.25", "trainer.max_epochs=6", "data.batch_size=64", "optimizer.lr=0.05",
        "latency=none", "logger=csv",
        f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["config"]["resolution"] == 37
    assert record["config"]["train_images"] == 1500 and record["config"]["val_images"] == 150
    assert [point["epoch"] for point in record["curves"]] == list(range(6))
    assert record["curves"][-1]["val/acc1"] == pytest.approx(record["metrics"]["val/acc1"])
    assert record["metrics"]["val/acc1"] > 0.45  # chance is 1/3
