"""Compute to reach the alpha x rho grid's Pareto front with and without cost-aware early stopping.

A replay, no training: the recorded learning curves of a grid sweep (``trials.csv`` and
``curves.csv``, default the committed Tiny ImageNet reference, 16 points x 5 epochs) are run again
in random trial orders, one trial after another as one worker would. With the pruner, a trial is
compared at each rung with the trials before it (``mobisweep.sweep.cost_aware``); a stopped trial
costs the epochs it ran and adds nothing to the front. Compute is image-epochs x mult-adds.
Reported: the compute until the hypervolume of the finished trials (top-1 up, mult-adds down;
mobisweep's reference point over the whole grid) reaches 95 % of the whole grid's, median over
orders, pruned / unpruned; and how many of the whole grid's front points the pruner stopped.
Beside them, the bound of any rule that keeps the front: an oracle that knows the whole grid's
final front and stops every other trial after its first epoch (a rule must see one epoch).

    .venv/bin/python benchmarks/pruning_replay.py --orders 20
"""

from __future__ import annotations

import argparse
import csv
import platform
import random
import statistics
from dataclasses import dataclass
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.core.pareto import hypervolume, pareto_front
from mobisweep.results.summary import hypervolume_origin
from mobisweep.sweep.cost_aware import CostAwarePruner, Peer

REPO = Path(__file__).resolve().parents[1]
DIRECTIONS = ["maximize", "minimize"]


@dataclass(frozen=True)
class Recorded:
    name: str
    mult_adds: float
    images: int
    curve: list[float]  # validation top-1 after each epoch

    @property
    def final(self) -> tuple[float, float]:
        return self.curve[-1], self.mult_adds


def load(trials_csv: Path) -> list[Recorded]:
    with trials_csv.open() as stream:
        rows = [r for r in csv.DictReader(stream) if r["state"] == "COMPLETE"]
    curves: dict[str, dict[int, float]] = {}
    with (trials_csv.parent / "curves.csv").open() as stream:
        for row in csv.DictReader(stream):
            curves.setdefault(row["number"], {})[int(row["epoch"])] = float(row[metrics.TOP1.name])
    return [Recorded(f"{float(r['model.alpha']):g}-{r['config/resolution']}",
                     float(r[metrics.MULT_ADDS.name]), int(r["config/train_images"]),
                     [curves[r["number"]][e] for e in sorted(curves[r["number"]])]) for r in rows]


@dataclass(frozen=True)
class Oracle:
    """Stops every trial off the whole grid's final front after its first epoch: the least compute
    a pruner can spend while never stopping a front point."""

    front: frozenset[str]

    def should_stop(self, epoch: int, name: str) -> bool:
        return epoch == 0 and name not in self.front


def replay(order: list[Recorded], pruner: CostAwarePruner | Oracle | None, target: float,
           reference: list[float]) -> tuple[float, set[str]]:
    """Compute spent until the finished trials' hypervolume reaches ``target``, and the names of
    the trials the pruner stopped."""
    spent, reached, found, stopped = 0.0, None, [], set()
    peers: list[Peer] = []
    for trial in order:
        costs = {metrics.MULT_ADDS.name: trial.mult_adds}
        curve: dict[int, float] = {}
        for epoch, top1 in enumerate(trial.curve):
            spent += trial.images * trial.mult_adds
            curve[epoch] = top1
            stop = (pruner.should_stop(epoch, trial.name) if isinstance(pruner, Oracle)
                    else pruner and pruner.should_stop(epoch, top1, costs, peers))
            if stop:
                stopped.add(trial.name)
                break
        else:
            found.append(trial.final)
        peers.append(Peer(costs, curve))
        if reached is None and found and \
                hypervolume(found, DIRECTIONS, reference) >= target * (1 - 1e-12):
            reached = spent
    return (reached if reached is not None else float("inf")), stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials_csv", nargs="?", type=Path,
                        default=REPO / "sweeps/reference/alpha_rho/trials.csv")
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--rungs", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--margin", type=float, default=0.0)
    args = parser.parse_args()
    grid = load(args.trials_csv)
    finals = [t.final for t in grid]
    reference = hypervolume_origin(finals, DIRECTIONS)
    full = hypervolume(finals, DIRECTIONS, reference)
    front = {grid[i].name for i in pareto_front(finals, DIRECTIONS)}
    pruner = CostAwarePruner(rungs=tuple(args.rungs), margin=args.margin)
    total = sum(t.images * t.mult_adds * len(t.curve) for t in grid)
    print(f"machine: {platform.machine()}; {args.trials_csv} ({len(grid)} trials x "
          f"{len(grid[0].curve)} epochs, hypervolume {full:.3f}, {len(front)} on the front); "
          f"rungs {args.rungs}, margin {args.margin:g}; {args.orders} orders")
    oracle = Oracle(frozenset(front))
    ratios, plain_costs, pruned_costs, lost, stopped_counts, bound = [], [], [], [], [], []
    for seed in range(args.orders):
        order = random.Random(seed).sample(grid, len(grid))
        plain, _ = replay(order, None, 0.95 * full, reference)
        pruned, stopped = replay(order, pruner, 0.95 * full, reference)
        plain_costs.append(plain / total)
        pruned_costs.append(pruned / total)
        ratios.append(pruned / plain)
        bound.append(replay(order, oracle, 0.95 * full, reference)[0] / plain)
        lost.append(len(stopped & front))
        stopped_counts.append(len(stopped))
    print(f"compute to 95 % of the grid's hypervolume, as a fraction of the whole grid's: "
          f"unpruned median {statistics.median(plain_costs):.3f}, pruned median "
          f"{statistics.median(pruned_costs):.3f}; pruned / unpruned median "
          f"{statistics.median(ratios):.3f} [{min(ratios):.3f}-{max(ratios):.3f}]")
    print(f"trials stopped: median {statistics.median(stopped_counts):g} of {len(grid)}; "
          f"front points stopped: median {statistics.median(lost):g} "
          f"[{min(lost)}-{max(lost)}] of {len(front)}")
    print(f"bound for a rule that stops no front point (oracle: the front trained, every other "
          f"trial stopped after epoch 0), oracle / unpruned: median {statistics.median(bound):.3f} "
          f"[{min(bound):.3f}-{max(bound):.3f}]")


if __name__ == "__main__":
    main()
