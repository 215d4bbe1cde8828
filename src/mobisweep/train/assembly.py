"""One trial assembled and recorded: its config validated once, its model built and counted once,
its folder claimed, and the files it leaves there (``trial_config.json``, ``checkpoints/last.ckpt``,
``result.json``). The training itself is ``mobisweep.train.run``; the sweeper uses this module
alone."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from rich.table import Table
from torch import nn

from mobisweep.config.validate import validate_config, validate_model, validate_resolution
from mobisweep.core import metrics
from mobisweep.core.atomic_files import read_json, write_json
from mobisweep.core.errors import ConfigError
from mobisweep.core.trial_folder import last_checkpoint, result_file
from mobisweep.cost.count import Cost, count_cost
from mobisweep.models import build_model, model_label
from mobisweep.models.memory_fit import check_training_fits, check_weights_fit

CONFIG_FILE = "trial_config.json"
# What does not change what a trial trains: where it writes, how it logs and times, its bookkeeping.
NOT_TRAINING = ("hydra", "paths", "logger", "latency", "objectives", "trial_number", "study_name",
                "ckpt_path", "fresh", "keep_checkpoints", "study_storage")
log = logging.getLogger(__name__)


@dataclass
class Trial:
    """A validated trial config with its model (seeded initial weights) and that model's cost."""

    cfg: DictConfig
    model: nn.Module
    cost: Cost
    label: str  # the model's name: mobilenet_v1-0.75, vgg16, ...

    @property
    def name(self) -> str:
        """The run's name in W&B and the console: ``trial3-mobilenet_v1-0.75-48px``."""
        name = f"{self.label}-{self.cfg.data.resolution}px"
        number = self.cfg.get("trial_number")
        return name if number is None else f"trial{number}-{name}"


def preflight(cfg: DictConfig) -> Cost:
    """Everything a trial can refuse before it trains, from the config and the model's shapes alone
    (no Lightning, no real tensor): values, the model, its cost, and a training step's memory."""
    validate_config(cfg)
    validate_model(cfg.get("model"), validate_resolution(cfg.data))
    cost = count_shapes(cfg)
    check_training_fits(cost.params_all, cost.activations, cfg.data.batch_size, cost.resolution,
                        element_bytes=2 if "16" in str(cfg.trainer.get("precision")) else 4,
                        **training_memory(cfg))
    return cost


def assemble(cfg: DictConfig, cost: Cost | None = None) -> Trial:
    """Refuse what can be refused (``preflight``, unless its ``cost`` is given), then build the
    model under the trial's seed."""
    cost = preflight(cfg) if cost is None else cost
    # Lightning only where a trial trains: the cost command and the pre-flight never import it.
    from lightning.pytorch import seed_everything

    seed_everything(cfg.seed, workers=True, verbose=False)
    model = build_model(cfg.model, cost.resolution)
    return Trial(cfg, model, cost, model_label(cfg.model))


def training_memory(cfg: DictConfig) -> dict[str, Any]:
    """What a trial trains in: a GPU's memory where the trainer asks for one, else this
    machine's."""
    if str(cfg.trainer.get("accelerator")) in ("gpu", "cuda") and torch.cuda.is_available():
        return {"limit": torch.cuda.get_device_properties(0).total_memory, "where": "GPU memory"}
    return {}


def count_shapes(cfg: DictConfig) -> Cost:
    """``cfg.model``'s cost at ``cfg.data.resolution`` (checked here), counted on the meta device:
    nothing is computed or allocated, and a model too large for this machine is refused."""
    resolution = validate_resolution(cfg.data)
    with torch.device("meta"):
        shapes = build_model(cfg.model, resolution)
    try:
        cost = count_cost(shapes, resolution)
    except ConfigError as error:
        raise error.within("data") from None
    check_weights_fit("model", model_label(cfg.model), cost.params_all)
    return cost


def build_and_count(cfg: DictConfig) -> tuple[nn.Module, Cost]:
    """``cfg.model`` built for ``cfg.data.resolution``, and its cost there. Also for configs that
    train nothing (``conf/measure.yaml``)."""
    cost = count_shapes(cfg)
    return build_model(cfg.model, cost.resolution), cost


def flat_config(trial: Trial) -> dict[str, Any]:
    """The readable, flat trial config logged to W&B (never the whole tree: it may hold secrets)."""
    cfg, model = trial.cfg, trial.cfg.model
    return {
        "model": trial.label,
        "model_config": model.get("name") or model._target_,
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
        "warmup_epochs": cfg.scheduler.get("warmup_epochs") if cfg.get("scheduler") else None,
        "weight_decay": cfg.module.weight_decay,
        "seed": cfg.seed,
        "study": cfg.get("study_name"),
        "trial": cfg.get("trial_number"),
    }


def data_sizes(datamodule: Any) -> dict[str, int]:
    """How many images the trial trained and validated on (after subsets and class selection)."""
    sizes = {}
    for key, name in (("train_images", "train_set"), ("val_images", "val_set")):
        dataset = getattr(datamodule, name, None)
        if dataset is not None:
            sizes[key] = len(dataset)
    return sizes


def training_config(cfg: DictConfig) -> dict[str, Any]:
    """The trial's configuration as flat ``key: value`` pairs, less what does not change
    training."""
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
    found = [p for p in (result_file(output_dir), last_checkpoint(output_dir)) if p.exists()]
    record = output_dir / CONFIG_FILE
    if found and cfg.get("fresh"):
        for path in found:
            path.unlink()
        log.info("fresh=true: removed %s", ", ".join(str(p) for p in found))
    elif found:
        stored = read_json(record) if record.is_file() else None
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


def finite_metrics(figures: dict[str, Any]) -> None:
    """A NaN or infinite figure fails the trial with its name, before anything records it."""
    for key, value in figures.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise FloatingPointError(f"{key} is {value}: the trial diverged (lower optimizer.lr?)")


def trial_table(result: dict[str, Any]) -> Table:
    """The console's account of one finished trial."""
    m = result["metrics"]
    table = Table(show_header=False)
    table.add_row("trial", f"{result['name']} ({result['wall_seconds']:.0f} s)")
    for figure in (metrics.TOP1, metrics.TOP5, metrics.MULT_ADDS, metrics.PARAMS,
                   metrics.IMAGES_PER_S):
        value = m.get(figure.name)
        table.add_row(figure.label, f"{figure.shown(value)} {figure.unit}" if value else "-")
    if metrics.LATENCY.name in m:
        p = metrics.LATENCY_PREFIX
        table.add_row(metrics.LATENCY.label,
                      f"{m[metrics.LATENCY.name]:.2f} ms, CV {m[metrics.LATENCY_CV.name]:.3f} "
                      f"({m[p + 'backend']}, {m[p + 'device']}, batch {m[p + 'batch_size']}, "
                      f"{m[p + 'threads']} threads)")
    if result["wandb_dir"]:
        table.add_row("W&B run", result["wandb_dir"])
    return table
