"""A trial's validation top-1 after every epoch, reported to its study (an intermediate value for
one objective, a trial attribute for several), and the study's pruner asked whether to stop: in
whatever process the trial runs (the basic launcher's, joblib's, a SLURM node's), through the
study's storage URL that the sweeper passes it."""

from __future__ import annotations

from collections.abc import Sequence

import lightning.pytorch as pl
import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig

from mobisweep.metrics import BY_NAME, TOP1
from mobisweep.sweep.cost_aware import CURVE_ATTR, CostAwarePruner, Peer
from mobisweep.sweep.optuna_internals import running_trial
from mobisweep.sweep.storage import open_storage

PRUNED_AT = "mobisweep:pruned_at_epoch"


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


class CostAwareReport(pl.Callback):
    """For a study of several objectives: top-1 after every epoch as a trial attribute
    (``mobisweep:top1@<epoch>``), and, with a ``CostAwarePruner``, its rule asked at each rung
    against every other trial of the study."""

    def __init__(self, study: optuna.Study, trial: optuna.Trial, known: Sequence[str],
                 pruner: CostAwarePruner | None) -> None:
        self.study, self.trial, self.known, self.pruner = study, trial, list(known), pruner

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        value, epoch = float(trainer.callback_metrics[TOP1.name]), trainer.current_epoch
        self.trial.set_user_attr(CURVE_ATTR.format(epoch), value)
        if self.pruner is None or epoch not in self.pruner.rungs:
            return
        own = self.study.get_trials(deepcopy=False)
        mine = next(t for t in own if t.number == self.trial.number)
        costs = {k: mine.user_attrs[k] for k in self.known if k in mine.user_attrs}
        peers = [Peer({k: t.user_attrs[k] for k in self.known if k in t.user_attrs},
                      {e: t.user_attrs[CURVE_ATTR.format(e)] for e in self.pruner.rungs
                       if CURVE_ATTR.format(e) in t.user_attrs})
                 for t in own if t.number != self.trial.number]
        reason = self.pruner.should_stop(epoch, value, costs, peers)
        if reason:
            self.trial.set_user_attr(PRUNED_AT, epoch)
            raise optuna.TrialPruned(reason)


def study_reporter(cfg: DictConfig) -> pl.Callback | None:
    """The reporter of a sweep's trial (None outside a sweep): for one objective, intermediate
    values and the study's Optuna pruner; for several, ``CostAwareReport``."""
    url, number = cfg.get("study_storage"), cfg.get("trial_number")
    if not url or number is None:
        return None
    sweeper = HydraConfig.get().sweeper if HydraConfig.initialized() else {}
    pruner_cfg = sweeper.get("pruner")
    pruner = instantiate(pruner_cfg) if pruner_cfg else None
    storage = open_storage(url, heartbeat_interval=None)
    if len(cfg.objectives) == 1:
        study = optuna.load_study(study_name=cfg.study_name, storage=storage,
                                  pruner=pruner or optuna.pruners.NopPruner())
        return ReportToStudy(running_trial(study, number))
    study = optuna.load_study(study_name=cfg.study_name, storage=storage)
    # Objectives known before training: the sweeper recorded them on the trial before launching.
    known = [o for o in cfg.objectives if BY_NAME[o].source in ("cost", "latency")]
    return CostAwareReport(study, running_trial(study, number), known,
                           pruner if isinstance(pruner, CostAwarePruner) else None)
