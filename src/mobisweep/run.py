"""One trial: validate, build, count, train and validate, log, write ``result.json``, return objectives."""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from mobisweep import tracking
from mobisweep.config import instantiate_node
from mobisweep.callbacks import ProgressBar, TrainingThroughput, ValidationCurves
from mobisweep.cost import Cost
from mobisweep.errors import ConfigError
from mobisweep.latency import measure_configured
from mobisweep.models.factory import build_model_with_cost, model_label
from mobisweep.module import ClassificationModule
from mobisweep.validate import validate_config

RESULT_FILE = "result.json"
log = logging.getLogger(__name__)

# Lightning's start-up banner (GPU/TPU availability, hints) would fill the screen of every trial.
for _noisy in ("lightning.pytorch.utilities.rank_zero", "lightning.pytorch.accelerators.cuda",
               "lightning.fabric.utilities.seed"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")


def flat_config(cfg: DictConfig, label: str) -> dict[str, Any]:
    """The readable, flat trial config logged to W&B (never the whole tree: it may hold secrets)."""
    model = cfg.model
    return {
        "model": label,
        "model_config": cfg.model._target_,
        "alpha": model.get("alpha"),
        "depth": model.get("depth"),
        "block": model.get("block"),
        "rho": cfg.data.get("rho"),
        "resolution": cfg.data.resolution,
        "data": cfg.data._target_.rsplit(".", 1)[-1].removesuffix("DataModule"),
        "num_classes": cfg.data.num_classes,
        "batch_size": cfg.data.get("batch_size"),
        "train_subset": cfg.data.get("train_subset"),
        "max_epochs": cfg.trainer.max_epochs,
        "optimizer": cfg.optimizer._target_.rsplit(".", 1)[-1],
        "lr": cfg.optimizer.get("lr"),
        "scheduler": cfg.scheduler._target_.rsplit(".", 1)[-1] if cfg.get("scheduler") else None,
        "weight_decay": cfg.module.weight_decay,
        "seed": cfg.seed,
        "study": cfg.get("study_name"),
        "trial": cfg.get("trial_number"),
    }


def cost_metrics(cost: Cost) -> dict[str, float]:
    return {"cost/mult_adds_M": cost.mult_adds_M, "cost/params_M": cost.params_M,
            "cost/params_all_M": cost.params_all / 1e6}


def data_sizes(datamodule: Any) -> dict[str, int]:
    """How many images the trial trained and validated on (after subsets and class selection)."""
    sizes = {}
    for key, name in (("train_images", "train_set"), ("val_images", "val_set")):
        dataset = getattr(datamodule, name, None)
        if dataset is not None:
            sizes[key] = len(dataset)
    return sizes


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Strict JSON (never a bare NaN token), written atomically: the file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")
    os.replace(partial, path)
    return path


def write_result(output_dir: Path, result: dict[str, Any]) -> Path:
    """Write ``result.json``: it exists only for a trial that finished (run() refuses non-finite
    metrics before it gets here)."""
    return write_json(output_dir / RESULT_FILE, result)


CONFIG_FILE = "trial_config.json"
# What does not change what a trial trains: where it writes, how it logs and times, its bookkeeping.
NOT_TRAINING = ("hydra", "paths", "logger", "latency", "objectives", "trial_number", "study_name",
                "ckpt_path", "fresh")


def training_config(cfg: DictConfig) -> dict[str, Any]:
    """The trial's configuration as flat ``key: value`` pairs, less what does not change training."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = node

    for key in cfg:
        if key not in NOT_TRAINING:
            walk(str(key), OmegaConf.to_container(cfg[key], resolve=True)
                 if OmegaConf.is_config(cfg[key]) else cfg[key])
    return flat


def claim_output_dir(cfg: DictConfig, output_dir: Path) -> None:
    """Resume only the same configuration: a folder holding another one's checkpoint or result is
    refused (``fresh=true`` deletes them and starts afresh). Records this trial's configuration."""
    current = training_config(cfg)
    found = [p for p in (output_dir / RESULT_FILE, last_checkpoint(output_dir)) if p.exists()]
    record = output_dir / CONFIG_FILE
    if found and cfg.get("fresh"):
        for path in found:
            path.unlink()
        log.info("fresh=true: removed %s", ", ".join(str(p) for p in found))
    elif found:
        stored = json.loads(record.read_text()) if record.is_file() else None
        if stored != current:
            field = "hydra.run.dir" if cfg.get("trial_number") is None else "hydra.sweep.dir"
            changed = ("no record of its configuration" if stored is None else "; ".join(
                f"{k} {stored.get(k, '(absent)')} -> {current.get(k, '(absent)')}"
                for k in sorted(set(stored) | set(current)) if stored.get(k) != current.get(k)))
            raise ConfigError(field, str(output_dir),
                              f"holds the checkpoint or result of another configuration "
                              f"({changed[:300]}): use another folder, or fresh=true to start "
                              f"afresh")
    write_json(record, current)


def finite_metrics(metrics: dict[str, Any]) -> None:
    """A NaN or infinite figure fails the trial with its name, before anything records it."""
    for key, value in metrics.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise FloatingPointError(f"{key} is {value}: the trial diverged (lower optimizer.lr?)")


def last_checkpoint(output_dir: Path) -> Path:
    """Where a trial keeps its one checkpoint, rewritten every epoch: what a retry resumes from."""
    return output_dir / "checkpoints" / "last.ckpt"


def resume_from(cfg: DictConfig, output_dir: Path) -> str | None:
    """``ckpt_path``, else the trial folder's own last checkpoint: a job that SLURM pre-empted and
    requeued runs the same trial in the same folder, and goes on where it stopped."""
    if cfg.get("ckpt_path"):
        return str(cfg.ckpt_path)
    last = last_checkpoint(output_dir)
    if cfg.trainer.get("enable_checkpointing") and last.is_file():
        log.info("resuming from %s", last)
        return str(last)
    return None


def run(cfg: DictConfig) -> float | list[float]:
    """Run one trial of ``cfg``; returns its objective (or the list of them) for a sweeper."""
    started = time.perf_counter()
    validate_config(cfg)
    output_dir = Path(cfg.paths.output_dir)
    claim_output_dir(cfg, output_dir)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = instantiate_node(cfg.data)  # refuses a missing or malformed data set here
    net, cost = build_model_with_cost(cfg)
    label = model_label(cfg.model)
    name = f"{label}-{cfg.data.resolution}px"
    if cfg.get("trial_number") is not None:
        name = f"trial{cfg.trial_number}-{name}"

    module = ClassificationModule(
        net, num_classes=cfg.data.num_classes, optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") else None, **cfg.module)
    logger = tracking.make_logger(cfg.get("logger"), name=name)
    throughput, curves = TrainingThroughput(), ValidationCurves()
    callbacks: list[pl.Callback] = [ProgressBar(leave=True), throughput, curves]
    if cfg.trainer.get("enable_checkpointing"):
        # One file, last.ckpt, rewritten every epoch: what an interrupted or killed trial resumes
        # from. (save_top_k=0 with save_last would write it only when training ends.)
        last = last_checkpoint(output_dir)
        callbacks.append(ModelCheckpoint(dirpath=last.parent, filename=last.stem,
                                         save_top_k=1, enable_version_counter=False))
    trainer: pl.Trainer = instantiate(cfg.trainer, logger=logger or False, callbacks=callbacks,
                                      default_root_dir=str(output_dir))
    config = flat_config(cfg, label)
    failed = True
    try:
        if logger is not None:
            logger.log_hyperparams(config)
            logger.log_metrics(cost_metrics(cost), step=0)
        trainer.fit(module, datamodule=datamodule, ckpt_path=resume_from(cfg, output_dir))
        if "val/acc1" not in trainer.callback_metrics:  # resumed from a run that had finished
            trainer.validate(module, datamodule=datamodule, verbose=False)
        # callback_metrics, not the callback's own fields: with ddp_spawn only they come back.
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()
                   if k.startswith(("val/", "train/images_per_s", "train/seconds"))}
        metrics.update(cost_metrics(cost))
        finite_metrics(metrics)
        if cfg.latency.enabled:  # after training: nothing else of this trial runs meanwhile
            metrics.update(measure_configured(net, cfg.data.resolution, cfg.latency).metrics())
        tracking.log_summary(logger, metrics)
        config.update(data_sizes(datamodule))
        result = {
            "status": "complete",
            "name": name,
            "config": config,
            "metrics": metrics,
            "cost_by_type": {"mult_adds": cost.mult_adds_by_type, "params": cost.params_by_type},
            "objectives": {k: metrics[k] for k in cfg.objectives},
            "curves": curves.epochs,
            "wall_seconds": time.perf_counter() - started,
            "torch_threads": torch.get_num_threads(),
            "wandb_dir": tracking.wandb_run_dir(logger),
        }
        write_result(output_dir, result)
        failed = False
    finally:
        tracking.finish(logger, failed=failed)
    print_summary(result)
    values = [metrics[k] for k in cfg.objectives]
    return values[0] if len(values) == 1 else values


def print_summary(result: dict[str, Any]) -> None:
    m = result["metrics"]
    table = Table(show_header=False)
    rows = [
        ("trial", f"{result['name']} ({result['wall_seconds']:.0f} s)"),
        ("top-1", f"{100 * m['val/acc1']:.2f} %"),
        ("top-5", f"{100 * m['val/acc5']:.2f} %"),
        ("mult-adds", f"{m['cost/mult_adds_M']:,.2f} M"),
        ("params", f"{m['cost/params_M']:.3f} M"),
        ("train images/s", f"{m['train/images_per_s']:,.0f}" if m.get("train/images_per_s") else "-"),
    ]
    if "latency/median_ms" in m:
        rows.append(("latency", f"{m['latency/median_ms']:.2f} ms median, CV {m['latency/cv']:.3f} "
                                f"({m['latency/backend']}, {m['latency/device']}, "
                                f"batch {m['latency/batch_size']}, {m['latency/threads']} threads)"))
    if result["wandb_dir"]:
        rows.append(("W&B run", result["wandb_dir"]))
    for key, value in rows:
        table.add_row(key, value)
    Console().print(table)
