"""`python -m mobisweep` trains for real on real data; result.json and the W&B run agree."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits

from mobisweep.train.tracking import read_wandb_run
from tests.conftest import run_module


def trial(tmp_path, *overrides: str):
    return run_module("mobisweep", f"hydra.run.dir={tmp_path}", *overrides,
                      env={"WANDB_MODE": "offline"})


def test_mobilenet_learns_digits_and_wandb_holds_the_same_figures(tmp_path):
    result = trial(tmp_path, "data=digits", "model.alpha=0.25", "trainer.max_epochs=10")
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "result.json").read_text())
    metrics = record["metrics"]
    assert metrics["val/acc1"] > 0.8  # 10 classes: chance is 0.1
    assert metrics["val/acc5"] >= metrics["val/acc1"]
    assert record["config"]["alpha"] == 0.25 and record["config"]["resolution"] == 56
    assert record["objectives"] == {"val/acc1": metrics["val/acc1"]}

    run = read_wandb_run(record["wandb_dir"])  # from the files, not from the logging call
    assert run["state"] == "finished" and run["name"] == "mobilenet_v1-0.25-56px"
    for key in ("val/acc1", "val/acc5", "cost/mult_adds_M", "cost/params_M"):
        assert run["summary"][key] == pytest.approx(metrics[key], rel=1e-6), key
    assert run["config"]["alpha"] == 0.25 and run["config"]["resolution"] == 56
    assert "top-1" in result.stdout and "mult-adds" in result.stdout


def test_a_short_run_writes_its_result(tmp_path):
    result = trial(tmp_path, "data=digits", "model.alpha=0.25", "data.train_subset=256",
                   "logger=csv", "objectives=[val/acc1,cost/mult_adds_M]")
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["status"] == "complete"
    assert set(record["objectives"]) == {"val/acc1", "cost/mult_adds_M"}
    assert record["metrics"]["cost/mult_adds_M"] == pytest.approx(3.008, abs=0.001)
    assert (tmp_path / "csv" / "metrics.csv").is_file()


def write_image_tree(root, corrupt: bool = True) -> None:
    digits = load_digits()
    for split, indices in (("train", range(0, 300)), ("val", range(300, 400))):
        for i in indices:
            folder = root / split / f"class_{digits.target[i]}"
            folder.mkdir(parents=True, exist_ok=True)
            pixels = (digits.images[i] * 255 / 16).astype("uint8")
            Image.fromarray(pixels).resize((40, 40)).convert("RGB").save(folder / f"{i}.jpg")
    if corrupt:
        (root / "train" / "class_0" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")


def test_image_folder_path_trains_and_skips_a_corrupt_file(tmp_path):
    write_image_tree(tmp_path / "tree")
    result = trial(tmp_path / "run", "data=folder", f"data.root={tmp_path / 'tree'}",
                   "data.num_classes=10", "data.resolution=32", "data.batch_size=32",
                   "data.num_workers=0", "model.alpha=0.25", "logger=csv")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipping unreadable image" in result.stdout + result.stderr
    assert "broken.jpg" in result.stdout + result.stderr
    assert (tmp_path / "run" / "result.json").is_file()


@pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")  # decoder=torchvision
def test_every_decoder_gives_the_same_normalized_batch(tmp_path):
    """Whichever decoder the workers use, the network sees the same normalized validation batch:
    uint8 crops from the workers, made float and normalized after the transfer."""
    from mobisweep.data.decoders import CPU_DECODERS
    from mobisweep.data.folder import ImageFolderDataModule

    write_image_tree(tmp_path / "tree", corrupt=False)
    batches = {}
    for decoder in CPU_DECODERS:
        data = ImageFolderDataModule(str(tmp_path / "tree"), num_classes=10, resolution=32,
                                     batch_size=16, num_workers=0, decoder=decoder)
        data.setup()
        images, labels = next(iter(data.val_dataloader()))
        assert images.dtype == torch.uint8
        batches[decoder] = data.on_after_batch_transfer((images, labels), 0)
    pil, pil_labels = batches["pil"]
    for decoder, (ours, labels) in batches.items():
        assert ours.dtype == torch.float32 and ours.shape == (16, 3, 32, 32), decoder
        assert torch.equal(labels, pil_labels)
        assert (ours - pil).abs().mean() < 0.05 and abs(ours.mean() - pil.mean()) < 0.02, decoder


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            ["data=imagenet"],
            "data.root=None: set it to the data set's folder (root/train/<wnid>/*.JPEG",
        ),
        (["data.rho=0"], "data.rho=0: the resolution multiplier must be a finite number > 0"),
        (["data.rho=-0.5"], "data.rho=-0.5: the resolution multiplier must be a finite number > 0"),
        (["data.rho=0.5"], "data.resolution=28: mobilenet_v1-1.0 needs at least 32 px"),
        (["trainer.max_epochs=0"], "trainer.max_epochs=0: must be an integer >= 1"),
        (["data.batch_size=0"], "data.batch_size=0: must be an integer >= 1"),
        (["objectives=[val/top1]"], "objectives='val/top1': must be among"),
        (["logger.mode=sometimes"], "logger.mode='sometimes': must be one of auto, online"),
    ],
)
def test_bad_input_fails_before_training_and_leaves_no_result(tmp_path, overrides, message):
    result = trial(tmp_path, "data=digits", *overrides) if "data=imagenet" not in overrides else \
        trial(tmp_path, *overrides)
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1
    assert "Epoch" not in result.stdout
    assert not (tmp_path / "result.json").exists()


def test_imagenet_root_without_the_layout_is_refused(tmp_path):
    (tmp_path / "ilsvrc" / "train").mkdir(parents=True)
    result = trial(tmp_path / "run", "data=imagenet", f"data.root={tmp_path / 'ilsvrc'}")
    assert result.returncode == 2
    assert "no val folder there (expected root/train/<wnid>/*.JPEG" in result.stderr


def test_unknown_data_set_is_named(tmp_path):
    result = trial(tmp_path, "data=cifar1000")
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == "In 'config': Could not find 'data/cifar1000'"
