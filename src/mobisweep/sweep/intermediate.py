"""A trial's validation top-1 after every epoch, reported to its study as an intermediate value, and
the study's pruner asked whether to stop: in whatever process the trial runs (the basic launcher's,
joblib's, a SLURM node's), through the study's storage URL that the sweeper passes it."""

from __future__ import annotations

from dataclasses import dataclass

import lightning.pytorch as pl
import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig

from mobisweep.metrics import TOP1
from mobisweep.sweep.optuna_internals import running_trial
from mobisweep.sweep.storage import open_storage

PRUNED_AT = "mobisweep:pruned_at_epoch"


@dataclass(frozen=True)
class Pruned:
    """What a pruned trial returns to the sweeper (not an error: Hydra would log one per trial)."""

    reason: str


class ReportToStudy(pl.Callback):
    """After every training epoch's validation: ``trial.report(top-1, epoch)``; a trial the pruner
    stops raises ``optuna.TrialPruned`` (Lightning ends the fit, the sweeper records it PRUNED)."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        value, epoch = float(trainer.callback_metrics[TOP1.name]), trainer.current_epoch
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self.trial.set_user_attr(PRUNED_AT, epoch)
            raise optuna.TrialPruned(f"pruned after epoch {epoch}: {TOP1.name} {value:.4f}")


def study_reporter(cfg: DictConfig) -> ReportToStudy | None:
    """The reporter of a sweep's trial; None outside a sweep, or where the study has several
    objectives (Optuna's pruners and intermediate values take one)."""
    url, number = cfg.get("study_storage"), cfg.get("trial_number")
    if not url or number is None or len(cfg.objectives) != 1:
        return None
    sweeper = HydraConfig.get().sweeper if HydraConfig.initialized() else {}
    pruner_cfg = sweeper.get("pruner")
    pruner = instantiate(pruner_cfg) if pruner_cfg else optuna.pruners.NopPruner()
    study = optuna.load_study(study_name=cfg.study_name, pruner=pruner,
                              storage=open_storage(url, heartbeat_interval=None))
    return ReportToStudy(running_trial(study, number))
