"""Data modules: the real Fashion-MNIST and digits, the in-memory fast path, and clear errors."""

from __future__ import annotations

import gzip

import pytest
import torch

from mobisweep.core.errors import ConfigError
from mobisweep.core.instantiate import instantiate_node
from mobisweep.data import DigitsDataModule, FashionMNISTDataModule, fashion_mnist

needs_debian_fashion_mnist = pytest.mark.skipif(
    not fashion_mnist.DEBIAN_DIR.is_dir(),
    reason="Debian's dataset-fashion-mnist is not installed (make system-deps installs it)")


@needs_debian_fashion_mnist
def test_fashion_mnist_reads_debians_idx_files():
    train, val = FashionMNISTDataModule(num_classes=10, resolution=56, download=False).load()
    assert train[0].shape == (60000, 1, 28, 28) and val[0].shape == (10000, 1, 28, 28)
    assert train[0].dtype == torch.uint8
    assert torch.bincount(train[1]).tolist() == [6000] * 10


@needs_debian_fashion_mnist
def test_data_root_wins_and_a_corrupt_file_is_named(tmp_path):
    for path in fashion_mnist.DEBIAN_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as stream:
        stream.write(b"\x00\x00\x08\x01\x00\x00\x27\x10" + b"\x00" * 10)  # says 10000, holds 10
    module = FashionMNISTDataModule(root=str(tmp_path), num_classes=10, resolution=56)
    with pytest.raises(ConfigError, match=r"data.root=.*t10k-labels-idx1-ubyte.gz: truncated"):
        module.load()


def test_missing_fashion_mnist_names_all_three_places(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian")
    module = FashionMNISTDataModule(root=str(tmp_path / "empty"), download=False,
                                    download_root=str(tmp_path / "downloads"), num_classes=10,
                                    resolution=56)
    with pytest.raises(ConfigError) as error:
        module.load()
    message = str(error.value)
    assert "looked in data.root" in message and "no-debian" in message and "downloads" in message


def test_in_memory_batches_are_normalized_resized_and_channels_last():
    module = DigitsDataModule(num_classes=10, resolution=40, batch_size=32)
    module.setup()
    images, labels = next(iter(module.val_dataloader()))
    assert images.dtype == torch.uint8 and images.shape == (32, 1, 8, 8)
    val = module.transform(images, training=False)
    assert val.shape == (32, 3, 40, 40) and val.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(val, module.transform(images, training=False))  # validation is deterministic
    torch.manual_seed(0)
    train = module.transform(images, training=True)
    assert train.shape == val.shape and not torch.equal(train, val)  # augmented
    assert len(module.train_set) + len(module.val_set) == 1797


def test_subsets_are_fixed_and_sized():
    a = DigitsDataModule(num_classes=10, resolution=32, train_subset=100, seed=3)
    b = DigitsDataModule(num_classes=10, resolution=32, train_subset=100, seed=3)
    a.setup(), b.setup()
    assert len(a.train_set) == 100 and torch.equal(a.train_set.labels, b.train_set.labels)


def test_every_data_config_composes_and_local_ones_instantiate(compose):
    for name in ("fashion_mnist", "digits"):
        module = instantiate_node(compose([f"data={name}"]).data)
        assert module.resolution == 56 and module.num_classes == 10
    assert compose(["data=imagenet", "data.rho=0.714"]).data.resolution == 160
    assert compose(["data=imagenet100"]).data.num_classes == 100
    for name in ("imagenet", "imagenet100", "folder"):
        with pytest.raises(ConfigError, match=r"^data.root=None"):
            instantiate_node(compose([f"data={name}"]).data)
