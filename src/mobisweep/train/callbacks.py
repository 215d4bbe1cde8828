"""Lightning callbacks of a trial."""

from __future__ import annotations

import time
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import RichProgressBar

from mobisweep.core import metrics


class TrainingThroughput(pl.Callback):
    """Images per second of the training loop (data, forward, backward, optimizer), per epoch.

    Timed from the epoch's start to its last training batch, so validation is not included.
    """

    def __init__(self) -> None:
        self.images = 0
        self.start = self.last = 0.0
        self.images_per_s: float | None = None
        self.seconds = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.images, self.start = 0, time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        self.images += len(batch[1])
        self.last = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        elapsed = self.last - self.start
        self.seconds += elapsed
        if elapsed > 0:
            self.images_per_s = self.images / elapsed
            # Summed over DDP processes: the throughput of the whole trial.
            pl_module.log(metrics.IMAGES_PER_S.name, self.images_per_s, on_epoch=True,
                          sync_dist=True, reduce_fx="sum")
            pl_module.log(metrics.TRAIN_SECONDS.name, self.seconds, on_epoch=True, sync_dist=True,
                          reduce_fx="max")


class ProgressBar(RichProgressBar):
    """Lightning's Rich progress bar without the logger's version number."""

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics


class EpochClock(pl.Callback):
    """Wall seconds of the running epoch, its training and its validation: the clock a replay
    simulates."""

    def __init__(self) -> None:
        self.started: float | None = None

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.started = time.perf_counter()

    def epoch_seconds(self) -> float | None:
        return None if self.started is None else time.perf_counter() - self.started


class ValidationCurves(EpochClock):
    """Validation top-1, top-5 and loss after every training epoch, and the epoch's wall seconds
    (training and validation): the trial's learning curve, and the clock a replay simulates.

    Kept in the checkpoint (``state_dict``), so a resumed trial's curve starts at epoch 0.
    """

    KEYS = tuple(figure.name for figure in metrics.CURVES if figure is not metrics.EPOCH_SECONDS)

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[dict[str, float]] = []

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        point = {k: float(trainer.callback_metrics[k]) for k in self.KEYS
                 if k in trainer.callback_metrics}
        seconds = self.epoch_seconds()
        if seconds is not None:
            point[metrics.EPOCH_SECONDS.name] = seconds
        self.epochs = [e for e in self.epochs if e["epoch"] != trainer.current_epoch]
        self.epochs.append({"epoch": trainer.current_epoch, **point})

    def state_dict(self) -> dict[str, Any]:
        return {"epochs": list(self.epochs)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.epochs = list(state_dict.get("epochs", []))
