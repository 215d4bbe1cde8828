"""Pareto halving: asynchronous successive halving that promotes by Pareto non-domination, for
studies whose objectives but accuracy are known before training.

MOASHA (Schmucker et al., 2021) ranks the trials that reached a rung by non-dominated sorting and
lets the best 1/eta of them go on: it must learn every objective from the trial, and it stops by
share, so a cheap network on the front can be stopped because the rung holds many others. Here
mult-adds, parameters and (measured before training) latency are known exactly, and only accuracy
is uncertain, so:

- a trial can only be dominated by a trial that costs no more on every known objective: at each
  rung (geometric, ``min_epochs * reduction_factor**k`` epochs) it goes on unless such a peer
  leads it in top-1 at the same rung by more than the rung's margin, as a ratio (curves of one
  recipe rise in proportion, so a lead in proportion is what keeps its order);
- the margin is learned from the sweep's own finished trials: for every pair of them, how much the
  dearer one gained on the cheaper one between the rung and the end, in log top-1 (dearer networks
  learn more slowly and catch up late). The margin at a rung is the ``quantile`` of those gains,
  never below ``margin``; until ``min_finished`` trials have finished, nothing is stopped;
- a grid is claimed cheapest first, so when a trial reaches a rung, the only trials that can
  dominate it, the cheaper ones, have already been there, and the first to finish are the cheap
  ones that teach the margins.

A trial on the front is stopped only where a cheaper one leads it at a rung by more than any
finished pair's catch-up, and is then overtaken anyway: replays of recorded curves
(``hydra/launcher=replay``) count how often.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mobisweep.sweep.cost_aware import KnownCostRule, Peer, check_rungs, no_dearer


def _log(top1: float) -> float:
    return math.log(max(top1, 1e-6))


def geometric_rungs(min_epochs: int, reduction_factor: float, max_epochs: int) -> tuple[int, ...]:
    """0-based epochs after ``min_epochs * reduction_factor**k`` epochs, short of the last one."""
    rungs, epochs = [], float(min_epochs)
    while epochs < max_epochs:
        rungs.append(int(round(epochs)) - 1)
        epochs *= reduction_factor
    return tuple(sorted(set(rungs)))


@dataclass(frozen=True)
class ParetoHalving(KnownCostRule):
    max_epochs: int = 12  # the trials' budget (trainer.max_epochs)
    min_epochs: int = 1  # the first rung
    reduction_factor: float = 3.0  # rungs at min_epochs * reduction_factor**k epochs
    margin: float = 0.02  # the least lead in log top-1 (about 2 %) that stops a trial
    quantile: float = 1.0  # of the finished pairs' catch-ups: the margin at a rung
    min_finished: int = 3  # finished trials before anything is stopped
    cheapest_first: bool = True  # claim a grid's points in order of their known costs
    rungs: Sequence[int] = field(init=False)

    def __post_init__(self) -> None:
        from mobisweep.core.errors import ConfigError

        for name in ("max_epochs", "min_epochs"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"hydra.sweeper.pruner.{name}", getattr(self, name),
                                  "must be an integer >= 1")
        if not self.reduction_factor > 1:
            raise ConfigError("hydra.sweeper.pruner.reduction_factor", self.reduction_factor,
                              "must exceed 1")
        if not 0 <= self.margin < 1:
            raise ConfigError("hydra.sweeper.pruner.margin", self.margin,
                              "must be a lead in log top-1 in [0, 1)")
        if not 0 < self.quantile <= 1:
            raise ConfigError("hydra.sweeper.pruner.quantile", self.quantile, "must be in (0, 1]")
        if not isinstance(self.min_finished, int) or self.min_finished < 2:
            raise ConfigError("hydra.sweeper.pruner.min_finished", self.min_finished,
                              "must be an integer >= 2 (a margin needs a pair)")
        rungs = geometric_rungs(self.min_epochs, self.reduction_factor, self.max_epochs)
        if not rungs:
            raise ConfigError("hydra.sweeper.pruner.min_epochs", self.min_epochs,
                              f"leaves no rung short of max_epochs={self.max_epochs}")
        check_rungs(rungs)
        object.__setattr__(self, "rungs", rungs)

    def margin_at(self, epoch: int, peers: Sequence[Peer]) -> float | None:
        """The lead in log top-1 that stops a trial at ``epoch``: the ``quantile`` of how much the
        dearer of two finished trials gained on the cheaper, in log top-1, from ``epoch`` to the
        end; None while fewer than ``min_finished`` trials have finished."""
        last = self.max_epochs - 1
        finished = [p for p in peers if last in p.curve and epoch in p.curve]
        if len(finished) < self.min_finished:
            return None
        gains = []
        for a, b in itertools.combinations(finished, 2):
            if not (no_dearer(a.costs, b.costs) or no_dearer(b.costs, a.costs)):
                continue  # neither costs less on every objective: no dearer one
            cheap, dear = (a, b) if no_dearer(a.costs, b.costs) else (b, a)
            gains.append(_log(dear.curve[last]) - _log(cheap.curve[last])
                         - (_log(dear.curve[epoch]) - _log(cheap.curve[epoch])))
        if not gains:
            return None
        gains.sort()
        at = min(len(gains) - 1, math.ceil(self.quantile * len(gains)) - 1)
        return max(self.margin, gains[at])

    def should_stop(self, epoch: int, top1: float, costs: Mapping[str, float],
                    peers: Iterable[Peer]) -> str | None:
        if epoch not in self.rungs or not costs:
            return None
        peers = list(peers)
        margin = self.margin_at(epoch, peers)
        if margin is None:
            return None
        leads = [p.curve[epoch] for p in peers if epoch in p.curve
                 and no_dearer(p.costs, costs) and _log(p.curve[epoch]) - _log(top1) > margin]
        if not leads:
            return None
        return (f"stopped after epoch {epoch}: dominated at the rung by {len(leads)} trial"
                f"{'s' if len(leads) > 1 else ''} costing no more (best top-1 {max(leads):.4f}, "
                f"more than {math.exp(margin):.3f} x {top1:.4f})")

    def order(self, points: Sequence[dict[str, Any]],
              costs: Sequence[Mapping[str, float]]) -> list[int] | None:
        if not self.cheapest_first:
            return None
        return sorted(range(len(points)), key=lambda i: tuple(costs[i].values()))
