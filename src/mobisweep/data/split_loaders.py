"""The training and validation loaders of a data module that keeps its two splits as
``train_set`` / ``val_set`` and makes a loader of either with ``_loader(split, shuffle)``."""

from __future__ import annotations

from typing import Any

from torch.utils.data import DataLoader


class SplitLoaders:
    train_set: Any = None
    val_set: Any = None

    def _loader(self, dataset: Any, shuffle: bool) -> DataLoader:
        raise NotImplementedError

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None, "Lightning calls setup() first"
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        assert self.val_set is not None, "Lightning calls setup() first"
        return self._loader(self.val_set, shuffle=False)
