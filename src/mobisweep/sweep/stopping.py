"""The one stopping interface of a sweep's trial: after each epoch, its validation top-1 is told to
a ``Stopper``, which answers why the trial stops there, or None.

Every kind of stopping plugs in here: Optuna's pruners (one objective: ``Trial.report`` and
``should_prune``), and mobisweep's rules for studies whose other objectives are known before
training (``mobisweep.sweep.cost_aware.KnownCostRule``: the cost-aware rule, Pareto halving). A
trained trial's Lightning callback (``mobisweep.train.study_reporting``) and a replayed trial
(``mobisweep.replay``) ask the same stopper, so a replay stops what training would have stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import optuna

from mobisweep.core.metrics import BY_NAME
from mobisweep.sweep.cost_aware import KnownCostRule, Peer
from mobisweep.sweep.trial_attrs import CURVE


class Stopper:
    """Told each epoch's top-1; returns the reason to stop the trial, or None to go on."""

    def after_epoch(self, epoch: int, top1: float) -> str | None:
        raise NotImplementedError


class OptunaStopper(Stopper):
    """A study of one objective: ``trial.report(top-1, epoch)`` and its pruner's
    ``should_prune``."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial

    def after_epoch(self, epoch: int, top1: float) -> str | None:
        self.trial.report(top1, epoch)
        if self.trial.should_prune():
            return f"pruned after epoch {epoch}: val/acc1 {top1:.4f}"
        return None


class KnownCostStopper(Stopper):
    """A study of several objectives: top-1 after every epoch as a trial attribute
    (``mobisweep:top1@<epoch>``), and, with a ``KnownCostRule``, its rule asked at each rung
    against every other trial of the study."""

    def __init__(self, study: optuna.Study, trial: optuna.Trial, known: Sequence[str],
                 rule: KnownCostRule | None) -> None:
        self.study, self.trial, self.known, self.rule = study, trial, list(known), rule

    def after_epoch(self, epoch: int, top1: float) -> str | None:
        self.trial.set_user_attr(CURVE.format(epoch), top1)
        if self.rule is None or epoch not in self.rule.rungs:
            return None
        trials = self.study.get_trials(deepcopy=False)
        mine = next(t for t in trials if t.number == self.trial.number)
        costs = {k: mine.user_attrs[k] for k in self.known if k in mine.user_attrs}
        peers = [Peer({k: t.user_attrs[k] for k in self.known if k in t.user_attrs}, curve(t))
                 for t in trials if t.number != self.trial.number]
        return self.rule.should_stop(epoch, top1, costs, peers)


def curve(trial: optuna.trial.FrozenTrial) -> dict[int, float]:
    """A trial's top-1 after each epoch it has reported so far."""
    prefix = CURVE.format("")
    return {int(k[len(prefix):]): v for k, v in trial.user_attrs.items() if k.startswith(prefix)}


def known_objectives(objectives: Sequence[str]) -> list[str]:
    """The objectives known before training (the sweeper records them on a trial before it runs)."""
    return [o for o in objectives if BY_NAME[o].source in ("cost", "latency")]


def make_stopper(study: optuna.Study, trial: optuna.Trial, objectives: Sequence[str],
                 pruner: Any) -> Stopper:
    """The stopper of a sweep's trial: Optuna's pruner (the study's) for one objective; for
    several, the known-cost stopper with the configured rule, if any."""
    if len(objectives) == 1:
        return OptunaStopper(trial)
    return KnownCostStopper(study, trial, known_objectives(objectives),
                            pruner if isinstance(pruner, KnownCostRule) else None)
