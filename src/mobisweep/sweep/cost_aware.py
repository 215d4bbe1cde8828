"""Stopping rules for studies in which every objective but accuracy is known before training
(mult-adds, parameters; latency under a latency budget): ``KnownCostRule`` and the cost-aware rule.

Optuna's pruners take one objective (``Trial.report`` refuses several), so these rules read their
peers' curves from trial attributes (``mobisweep:top1@<epoch>``) instead, through
``mobisweep.sweep.stopping``. A rule may also order a grid (``order``): the sweeper then claims
its points in that order.

The cost-aware rule, at each rung (an epoch, successive-halving style): a trial is stopped when
another trial that costs no more on every known objective reached a higher top-1 at the same rung
by more than ``margin``. Such a trial is dominated at that rung by a peer no dearer than itself.

Assumes learning curves keep their order after the rung (a network behind a no-dearer one at epoch
``r`` stays behind). Fails where curves cross late: a network that starts slowly but ends higher
(a wider network with a long warm-up, a larger learning rate) is stopped although it would have
reached the front. Later rungs and a margin of a few standard errors make that rarer; replaying
recorded curves (``hydra/launcher=replay``) shows how often it happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Peer:
    """Another trial: its known costs and its top-1 per epoch so far."""

    costs: Mapping[str, float]
    curve: Mapping[int, float]


def check_rungs(rungs: Sequence[int]) -> None:
    if not rungs or any(not isinstance(r, int) or r < 0 for r in rungs):
        from mobisweep.core.errors import ConfigError

        raise ConfigError("hydra.sweeper.pruner.rungs", list(rungs),
                          "must be epochs (integers >= 0)")


def no_dearer(peer: Mapping[str, float], costs: Mapping[str, float]) -> bool:
    """The peer costs no more than ``costs`` on every known objective."""
    return all(k in peer and peer[k] <= costs[k] for k in costs)


class KnownCostRule:
    """A stopping rule of a study whose objectives but accuracy are known before training: asked
    after each of its ``rungs`` (0-based epochs) with the trial's top-1, its costs and its peers."""

    rungs: Sequence[int]

    def should_stop(self, epoch: int, top1: float, costs: Mapping[str, float],
                    peers: Iterable[Peer]) -> str | None:
        """Why a trial with ``costs`` at ``top1`` after ``epoch`` stops here; None to go on."""
        raise NotImplementedError

    def order(self, points: Sequence[dict[str, Any]],
              costs: Sequence[Mapping[str, float]]) -> list[int] | None:
        """The order in which a grid's points are claimed (indices), or None: as written."""
        return None


@dataclass(frozen=True)
class CostAwarePruner(KnownCostRule):
    rungs: Sequence[int] = (0, 2)  # 0-based epochs after which trials are compared
    margin: float = 0.0  # top-1 (fraction) a no-dearer peer must lead by

    def __post_init__(self) -> None:
        check_rungs(self.rungs)

    def should_stop(self, epoch: int, top1: float, costs: Mapping[str, float],
                    peers: Iterable[Peer]) -> str | None:
        if epoch not in self.rungs or not costs:
            return None
        for peer in peers:
            ahead = peer.curve.get(epoch)
            if ahead is None or not no_dearer(peer.costs, costs):
                continue
            if ahead > top1 + self.margin:
                return (f"stopped after epoch {epoch}: a trial costing no more reached top-1 "
                        f"{ahead:.4f} > {top1:.4f} + {self.margin:g}")
        return None
