"""A trained trial's validation top-1 after every epoch, told to its stopper
(``mobisweep.sweep.stopping``): in whatever process the trial runs (the basic launcher's,
joblib's, a SLURM node's), through the study's storage URL that the sweeper passes it."""

from __future__ import annotations

import lightning.pytorch as pl
import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig

from mobisweep.core.metrics import TOP1
from mobisweep.sweep.optuna_adapter import running_trial
from mobisweep.sweep.stopping import Stopper, make_stopper
from mobisweep.sweep.storage import open_storage
from mobisweep.sweep.trial_attrs import PRUNED_AT, SECONDS
from mobisweep.train.callbacks import EpochClock


class ReportToStudy(EpochClock):
    """After every training epoch's validation, top-1 to the stopper; a trial it stops raises
    ``optuna.TrialPruned`` (Lightning ends the fit, the sweeper records it PRUNED). The epoch's
    wall seconds go on the trial too: a stopped trial writes no result.json, and a replay of the
    sweep needs them."""

    def __init__(self, trial: optuna.Trial, stopper: Stopper) -> None:
        super().__init__()
        self.trial, self.stopper = trial, stopper

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        value, epoch = float(trainer.callback_metrics[TOP1.name]), trainer.current_epoch
        seconds = self.epoch_seconds()
        if seconds is not None:
            self.trial.set_user_attr(SECONDS.format(epoch), seconds)
        reason = self.stopper.after_epoch(epoch, value)
        if reason:
            self.trial.set_user_attr(PRUNED_AT, epoch)
            raise optuna.TrialPruned(reason)


def study_reporter(cfg: DictConfig) -> pl.Callback | None:
    """The reporter of a sweep's trial (None outside a sweep)."""
    url, number = cfg.get("study_storage"), cfg.get("trial_number")
    if not url or number is None:
        return None
    sweeper = HydraConfig.get().sweeper if HydraConfig.initialized() else {}
    pruner_cfg = sweeper.get("pruner")
    pruner = instantiate(pruner_cfg) if pruner_cfg else None
    storage = open_storage(url, heartbeat_interval=None)
    assert storage is not None  # a URL opens a storage
    optuna_pruner = pruner if isinstance(pruner, optuna.pruners.BasePruner) else None
    study = optuna.load_study(study_name=cfg.study_name, storage=storage,
                              pruner=optuna_pruner or optuna.pruners.NopPruner())
    trial = running_trial(study, number)
    return ReportToStudy(trial, make_stopper(study, trial, list(cfg.objectives), pruner))
