"""Cost-aware early stopping for studies in which every objective but accuracy is known before
training (mult-adds, parameters; latency under a latency budget).

The rule, at each rung (an epoch, successive-halving style): a trial is stopped when another trial
that costs no more on every known objective reached a higher top-1 at the same rung by more than
``margin``. Such a trial is dominated at that rung by a peer no dearer than itself.

Assumes learning curves keep their order after the rung (a network behind a no-dearer one at epoch
``r`` stays behind). Fails where curves cross late: a network that starts slowly but ends higher
(a wider network with a long warm-up, a larger learning rate) is stopped although it would have
reached the front. Later rungs and a margin of a few standard errors make that rarer; replaying
recorded curves (``benchmarks/search_efficiency.py --pruning``) shows how often it happens.

Optuna's pruners take one objective (``Trial.report`` refuses several), so this rule reads its
peers' curves from their trial attributes (``mobisweep:top1@<epoch>``) instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

CURVE_ATTR = "mobisweep:top1@{}"


@dataclass(frozen=True)
class Peer:
    """Another trial: its known costs and its top-1 per epoch so far."""

    costs: Mapping[str, float]
    curve: Mapping[int, float]


@dataclass(frozen=True)
class CostAwarePruner:
    rungs: Sequence[int] = (0, 2)  # 0-based epochs after which trials are compared
    margin: float = 0.0  # top-1 (fraction) a no-dearer peer must lead by

    def __post_init__(self) -> None:
        if not self.rungs or any(not isinstance(r, int) or r < 0 for r in self.rungs):
            from mobisweep.errors import ConfigError

            raise ConfigError("hydra.sweeper.pruner.rungs", list(self.rungs),
                              "must be epochs (integers >= 0)")

    def should_stop(self, epoch: int, top1: float, costs: Mapping[str, float],
                    peers: Iterable[Peer]) -> str | None:
        """Why a trial with ``costs`` at ``top1`` after ``epoch`` stops here; None to go on."""
        if epoch not in self.rungs or not costs:
            return None
        for peer in peers:
            ahead = peer.curve.get(epoch)
            if ahead is None or any(k not in peer.costs for k in costs):
                continue
            if all(peer.costs[k] <= costs[k] for k in costs) and ahead > top1 + self.margin:
                return (f"stopped after epoch {epoch}: a trial costing no more reached top-1 "
                        f"{ahead:.4f} > {top1:.4f} + {self.margin:g}")
        return None
