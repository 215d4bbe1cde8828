"""The LightningModule: cross-entropy, optimizer and schedule by config, top-1/top-5 accuracy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim import Optimizer
from torchmetrics import Metric
from torchmetrics.classification import MulticlassAccuracy

from mobisweep.cost.layers import layer_type

OptimizerFactory = Callable[..., Optimizer]
SchedulerFactory = Callable[..., torch.optim.lr_scheduler.LRScheduler]


def parameter_groups(model: nn.Module, weight_decay: float,
                     decay_depthwise: bool) -> list[dict[str, Any]]:
    """Weight decay on conv and linear weights only: never on BatchNorm or biases, and on
    depthwise filters only if ``decay_depthwise`` (the paper: they have too few parameters to need
    it).
    """
    decay: list[Tensor] = []
    no_decay: list[Tensor] = []
    seen: set[int] = set()
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if id(param) in seen or not param.requires_grad:
                continue
            seen.add(id(param))
            kind = layer_type(module)
            decayed = (name == "weight" and kind is not None
                       and (decay_depthwise or kind != "depthwise"))
            (decay if decayed else no_decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


class ClassificationModule(pl.LightningModule):
    """Train any image classifier: the network is built by config and handed in."""

    def __init__(self, net: nn.Module, num_classes: int, optimizer: OptimizerFactory,
                 scheduler: SchedulerFactory | None = None, weight_decay: float = 4e-5,
                 decay_depthwise: bool = False, label_smoothing: float = 0.0,
                 channels_last: bool = True) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net.to(memory_format=torch.channels_last) if channels_last else net
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        # Training tracks top-1 only; validation top-1 and top-5 (the paper's figures).
        self.metrics = nn.ModuleDict({
            f"{split}_acc{k}": MulticlassAccuracy(num_classes, top_k=min(k, num_classes),
                                                  average="micro")
            for split, ks in (("train", (1,)), ("val", (1, 5))) for k in ks})

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def _step(self, batch: tuple[Tensor, Tensor], split: str) -> Tensor:
        images, labels = batch
        logits = self(images)
        loss = F.cross_entropy(logits, labels, label_smoothing=self.hparams["label_smoothing"])
        training = split == "train"
        # Under DDP the validation loss is averaged over every process's shard (once, at the end
        # of the epoch); the training loss stays per process, to keep an all-reduce off each step.
        self.log(f"{split}/loss", loss, on_step=training, on_epoch=True, batch_size=len(labels),
                 sync_dist=not training)
        if training:
            self.log("loss", loss, prog_bar=True, logger=False, batch_size=len(labels))
        for k in (1,) if training else (1, 5):
            metric = cast(Metric, self.metrics[f"{split}_acc{k}"])
            metric.update(logits.detach(), labels)  # update only: no per-batch value to compute
            self.log(f"{split}/acc{k}", metric, on_step=False, on_epoch=True,
                     prog_bar=k == 1 and not training, batch_size=len(labels))
        return loss

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        loss = self._step(batch, "train")
        if not torch.isfinite(loss):  # a diverged trial fails loudly instead of logging NaN
            raise FloatingPointError(f"training loss is {loss.item()} at step {self.global_step}")
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def configure_optimizers(self) -> Any:  # Lightning's dict of optimizer and scheduler
        groups = parameter_groups(self.net, self.hparams["weight_decay"],
                                  self.hparams["decay_depthwise"])
        optimizer = self.optimizer_factory(groups)
        if self.scheduler_factory is None:
            return {"optimizer": optimizer}
        total = int(self.trainer.estimated_stepping_batches)
        per_epoch = max(1, total // max(1, self.trainer.max_epochs or 1))
        scheduler = self.scheduler_factory(optimizer, total_steps=total, steps_per_epoch=per_epoch)
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
