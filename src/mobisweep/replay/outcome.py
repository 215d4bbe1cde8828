"""What a replayed sweep found and what it spent, against the whole table.

- Compute: simulated worker-seconds (the recorded seconds of every epoch a trial ran), and
  image-epochs x mult-adds beside it, each as a share of the whole grid's (every point, every
  epoch, the same seed draws).
- Outcome: the hypervolume of the trials that finished, relative to the hypervolume of the whole
  table (the same draws), after each trial that finished: a curve of hypervolume against compute.
- The oracle bound: the table's front trained fully and every other point stopped after one epoch.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from mobisweep.core import metrics
from mobisweep.core.pareto import hypervolume, pareto_front
from mobisweep.replay.simulator import ENDED, EPOCHS, RECORDED, STARTED, objectives_of
from mobisweep.replay.table import RecordedTable, RecordedTrial
from mobisweep.results.summary import hypervolume_origin


@dataclass(frozen=True)
class Outcome:
    grid_seconds: float  # the whole grid, every epoch of every point
    grid_macs: float  # image-epochs x mult-adds (M) of the same
    seconds: float  # worker-seconds the replay spent
    macs: float
    makespan: float  # simulated wall seconds until the last trial ended
    oracle_seconds: float  # the front fully, every other point one epoch
    curve: Sequence[tuple[float, float]]  # (worker-seconds spent, hypervolume share) per finish
    finished: int
    stopped: int

    @property
    def hv_share(self) -> float:
        return self.curve[-1][1] if self.curve else 0.0

    def seconds_to(self, share: float) -> float | None:
        """Worker-seconds spent when the finished trials first reached ``share`` of the table's
        hypervolume; None if they never did."""
        shares = [s for _, s in self.curve]
        best = [max(shares[: i + 1]) for i in range(len(shares))]
        i = bisect.bisect_left(best, share - 1e-12)
        return self.curve[i][0] if i < len(self.curve) else None


def image_epoch_macs(recorded: RecordedTrial, epochs: int) -> float:
    """Image-epochs x mult-adds (M) of ``epochs`` epochs of a recorded trial."""
    return epochs * (recorded.train_images or 1) * recorded.figures.get(metrics.MULT_ADDS.name, 0.0)


@dataclass(frozen=True)
class WholeTable:
    """The whole grid of one seed draw: its compute, its front and its hypervolume."""

    drawn: Sequence[RecordedTrial]
    directions: Sequence[str]
    origin: Sequence[float]  # the point the hypervolume is measured from
    volume: float
    seconds: float
    macs: float
    oracle_seconds: float

    def share(self, values: Sequence[Sequence[float]]) -> float:
        """The hypervolume of ``values`` as a share of the whole table's."""
        return hypervolume(values, self.directions, self.origin) / self.volume if values else 0.0


def whole_table(table: RecordedTable, objectives: Sequence[str], directions: Sequence[str],
                seed: int) -> WholeTable:
    drawn = [table.draw(point, seed) for point in table.points]
    values = [list(objectives_of(r, objectives).values()) for r in drawn]
    reference = hypervolume_origin(values, directions)
    front = set(pareto_front(values, directions))
    return WholeTable(drawn, list(directions), reference,
                      hypervolume(values, directions, reference),
                      seconds=sum(sum(r.seconds) for r in drawn),
                      macs=sum(image_epoch_macs(r, r.epochs) for r in drawn),
                      oracle_seconds=sum(sum(r.seconds) if i in front else r.seconds[0]
                                         for i, r in enumerate(drawn)))


def measured(whole: WholeTable, spans: Sequence[tuple[float, float]], macs: float,
             finishes: Sequence[tuple[float, Sequence[float]]], stopped: int) -> Outcome:
    """An outcome from each trial's simulated (start, end), and each finished trial's end and
    objective values."""
    def spent(at: float) -> float:  # worker-seconds spent by simulated time ``at``
        return sum(min(end, at) - start for start, end in spans if start < at)

    done = sorted(finishes, key=lambda f: f[0])
    curve = [(spent(at), whole.share([v for _, v in done[: i + 1]]))
             for i, (at, _) in enumerate(done)]
    return Outcome(grid_seconds=whole.seconds, grid_macs=whole.macs,
                   seconds=sum(end - start for start, end in spans), macs=macs,
                   makespan=max((end for _, end in spans), default=0.0),
                   oracle_seconds=whole.oracle_seconds, curve=curve, finished=len(done),
                   stopped=stopped)


def outcome(study: optuna.Study, table: RecordedTable, objectives: Sequence[str],
            seed: int) -> Outcome:
    """The replay in ``study`` (of ``table``, seed draw ``seed``) against the whole table."""
    whole = whole_table(table, objectives, [d.name.lower() for d in study.directions], seed)
    trials = [t for t in study.get_trials(deepcopy=False) if STARTED in t.user_attrs]
    by_number = {r.number: r for r in whole.drawn}
    macs = sum(image_epoch_macs(by_number[t.user_attrs[RECORDED]], t.user_attrs[EPOCHS])
               for t in trials)
    return measured(whole, [(t.user_attrs[STARTED], t.user_attrs[ENDED]) for t in trials], macs,
                    [(t.user_attrs[ENDED], t.values) for t in trials
                     if t.state == TrialState.COMPLETE],
                    stopped=sum(t.state == TrialState.PRUNED for t in trials))


def describe(result: Outcome) -> str:
    """One paragraph: what the replay spent and found, as shares of the whole grid."""
    share = result.seconds / result.grid_seconds
    lines = [f"replay: {result.finished} trials finished, {result.stopped} stopped; "
             f"{result.seconds:,.0f} worker-seconds ({share:.3f} of the grid's "
             f"{result.grid_seconds:,.0f}), {result.makespan:,.0f} s simulated wall time; "
             f"image-epochs x mult-adds {result.macs / result.grid_macs:.3f} of the grid's",
             f"hypervolume found: {result.hv_share:.4f} of the whole table's; the oracle bound "
             "(the front fully, the rest one epoch) spends "
             f"{result.oracle_seconds / result.grid_seconds:.3f}"]
    for target in (0.9, 0.95, 0.99):
        at = result.seconds_to(target)
        lines.append(f"  {target:.0%} of the hypervolume after "
                     + (f"{at / result.grid_seconds:.3f} of the grid's compute" if at is not None
                        else "never"))
    return "\n".join(lines)
