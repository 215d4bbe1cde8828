"""One trial trained: assemble it (``mobisweep.train.assembly``), train and validate it with
Lightning, measure its latency, log it, write ``result.json``, and return its objectives to a
sweeper."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import optuna
import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import DictConfig

from mobisweep.config.console import output_console
from mobisweep.core import metrics
from mobisweep.core.instantiate import instantiate_node
from mobisweep.core.trial_folder import (
    drop_checkpoint,
    last_checkpoint,
    read_result,
    result_file,
    write_result,
)
from mobisweep.cost.count import Cost
from mobisweep.latency.measure import measure_latencies
from mobisweep.sweep.recorder import Pruned
from mobisweep.train import tracking
from mobisweep.train.assembly import (
    Trial,
    assemble,
    claim_output_dir,
    data_sizes,
    finite_metrics,
    flat_config,
    resume_from,
    trial_table,
)
from mobisweep.train.callbacks import ProgressBar, TrainingThroughput, ValidationCurves
from mobisweep.train.core_share import CoreShare, ShareCores
from mobisweep.train.lightning_module import ClassificationModule
from mobisweep.train.study_reporting import study_reporter

log = logging.getLogger(__name__)

# Lightning's start-up banner (GPU/TPU availability, hints) would fill the screen of every trial.
for _noisy in ("lightning.pytorch.utilities.rank_zero", "lightning.pytorch.accelerators.cuda",
               "lightning.fabric.utilities.seed"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")


def make_trainer(cfg: DictConfig, output_dir: Path, logger: pl.loggers.Logger | None,
                 callbacks: list[pl.Callback]) -> pl.Trainer:
    if cfg.trainer.get("enable_checkpointing"):
        # One file, last.ckpt, rewritten every epoch: what an interrupted or killed trial resumes
        # from. (save_top_k=0 with save_last would write it only when training ends.)
        last = last_checkpoint(output_dir)
        callbacks = [*callbacks, ModelCheckpoint(dirpath=last.parent, filename=last.stem,
                                                 save_top_k=1, enable_version_counter=False)]
    return instantiate_node(cfg.trainer, field="trainer", logger=logger or False,
                            callbacks=callbacks, default_root_dir=str(output_dir))


def run(cfg: DictConfig, cost: Cost | None = None) -> float | list[float] | Pruned:
    """Run one trial of ``cfg``; returns its objective (or the list of them) for a sweeper, or
    ``Pruned`` where the study's pruner stopped it."""
    started = time.perf_counter()
    trial: Trial = assemble(cfg, cost)  # ``cost``: the caller's pre-flight, not counted again
    output_dir = Path(cfg.paths.output_dir)
    claim_output_dir(cfg, output_dir)
    finished = read_result(output_dir)  # this configuration's (claim_output_dir checked it)
    if finished is not None and all(k in finished["metrics"] for k in cfg.objectives):
        log.info("%s already finished: %s (fresh=true trains it again)", trial.name,
                 result_file(output_dir))
        output_console().print(trial_table(finished))
        return objectives(finished, cfg.objectives)
    datamodule = instantiate_node(cfg.data, field="data")  # refuses a missing or bad data set here
    module = ClassificationModule(
        trial.model, num_classes=cfg.data.num_classes, optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") else None, **cfg.module)
    logger = tracking.make_logger(cfg.get("logger"), name=trial.name)
    curves = ValidationCurves()
    reporter = study_reporter(cfg)  # a sweep's trial: top-1 to the study every epoch
    # Trials beside this one on the machine (other workers, another sweep) share its cores.
    share = CoreShare() if cfg.share_cores else None
    trainer = make_trainer(
        cfg,
        output_dir,
        logger,
        [
            ProgressBar(leave=True),
            TrainingThroughput(),
            curves,
            *([reporter] if reporter else []),
            *([ShareCores(share)] if share else []),
        ],
    )
    config = flat_config(trial)
    failed = True
    try:
        if share is not None:
            share.join()
        if logger is not None:
            logger.log_hyperparams(config)
            logger.log_metrics(trial.cost.metrics(), step=0)
        trainer.fit(module, datamodule=datamodule, ckpt_path=resume_from(cfg, output_dir))
        if metrics.TOP1.name not in trainer.callback_metrics:  # resumed from a finished run
            trainer.validate(module, datamodule=datamodule, verbose=False)
        # callback_metrics, not the callbacks' own fields: with ddp_spawn only they come back.
        figures = {k: float(v) for k, v in trainer.callback_metrics.items()
                   if k.startswith(metrics.LOGGED_PREFIXES)}
        figures.update(trial.cost.metrics())
        finite_metrics(figures)
        if cfg.latency.enabled:  # after training: nothing else of this trial runs meanwhile
            figures.update(latency_figures(trial.model, cfg))
        tracking.log_summary(logger, figures)
        config.update(data_sizes(datamodule))
        result = {
            "status": "complete",
            "name": trial.name,
            "config": config,
            "metrics": figures,
            "cost_by_type": {"mult_adds": trial.cost.mult_adds_by_type,
                             "params": trial.cost.params_by_type},
            "objectives": {k: figures[k] for k in cfg.objectives},
            "curves": curves.epochs,
            "wall_seconds": time.perf_counter() - started,
            "torch_threads": torch.get_num_threads(),
            "wandb_dir": tracking.wandb_run_dir(logger),
        }
        write_result(output_dir, result)
        failed = False
    except optuna.TrialPruned as pruned:
        if not cfg.get("keep_checkpoints"):
            drop_checkpoint(output_dir)  # a pruned trial is never resumed
        failed = False
        log.info("%s %s", trial.name, pruned)
        return Pruned(str(pruned))
    finally:
        if share is not None:
            share.leave()
        try:
            tracking.finish(logger, failed=failed)
        except Exception as error:  # noqa: BLE001 - W&B's service, SIGTERMed beside the trial
            if not failed:
                raise
            log.warning("the W&B run could not be closed: %s: %s", type(error).__name__, error)
    if not cfg.get("keep_checkpoints"):
        drop_checkpoint(output_dir)
    output_console().print(trial_table(result))
    return objectives(result, cfg.objectives)


def latency_figures(model: torch.nn.Module, cfg: DictConfig) -> dict[str, Any]:
    """A single run's latency is its own measurement. A sweep's trial logs its own beside the
    point's side-by-side figure from the pre-flight (``latency.side_by_side``), which ranks with
    the other points' and so is its ``latency/*`` and ``latency_deploy/*``."""
    side_by_side = cfg.latency.get("side_by_side")
    if not side_by_side:
        return measure_latencies(model, cfg)
    figures = measure_latencies(model, cfg, (metrics.TRIAL_PREFIX, metrics.TRIAL_DEPLOY_PREFIX))
    for group, values in side_by_side.items():
        figures.update({f"{group}/{name}": value for name, value in values.items()})
    return figures


def objectives(result: dict, names: list[str]) -> float | list[float]:
    """What a sweeper is told: the one objective, or the list of them."""
    values = [result["metrics"][k] for k in names]
    return values[0] if len(values) == 1 else values
