"""scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes): ships with scikit-learn."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from mobisweep.core.errors import ConfigError, is_number
from mobisweep.data.in_memory import Batch, InMemoryDataModule


class DigitsDataModule(InMemoryDataModule):
    """A fixed stratified split (``val_fraction``); pixel values 0-16 rescaled to 0-255."""

    def __init__(self, val_fraction: float = 0.2, **kwargs) -> None:
        kwargs.setdefault("flip", False)  # a mirrored digit is another digit
        super().__init__(**kwargs)
        if not is_number(val_fraction) or not 0.0 < val_fraction < 1.0:
            raise ConfigError("data.val_fraction", val_fraction,
                              "the share of images held out for validation must be in (0, 1)")
        self.val_fraction = val_fraction

    def load(self) -> tuple[Batch, Batch]:
        digits = load_digits()
        images = torch.from_numpy(digits.images * (255.0 / 16.0)).round().to(torch.uint8)
        labels = torch.from_numpy(digits.target).long()
        train, val = train_test_split(range(len(labels)), test_size=self.val_fraction,
                                      stratify=labels.numpy(), random_state=0)
        return ((images[train].unsqueeze(1), labels[train]),
                (images[val].unsqueeze(1), labels[val]))
