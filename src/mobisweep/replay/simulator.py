"""The simulated backend: replayed trials in ``size`` slots on a simulated clock.

A discrete-event simulation, as Syne Tune's simulator backend runs one: each running trial's next
epoch ends at a simulated time (its start plus the recorded seconds of its epochs so far); ``wait``
takes the earliest, tells that epoch's recorded top-1 to the trial's stopper (the same one a
trained trial asks: ``mobisweep.sweep.stopping``), and returns the trial once it is stopped or has
run its recorded schedule. The sweep loop then claims the next trial at that simulated moment, so
the slots never idle and the stopping rules see exactly the peers they would have seen.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import optuna

from mobisweep.core import metrics
from mobisweep.core.errors import ConfigError
from mobisweep.replay.table import RecordedTable, RecordedTrial
from mobisweep.sweep.hook import PointFigures
from mobisweep.sweep.recorder import Pruned
from mobisweep.sweep.stopping import Stopper, make_stopper
from mobisweep.sweep.trial_attrs import PRUNED_AT

# Trial attributes of a replayed trial: when it started and ended on the simulated clock (s), how
# many epochs it ran, and which recorded trial it replayed.
STARTED, ENDED = "mobisweep:replay_started_s", "mobisweep:replay_ended_s"
EPOCHS, RECORDED = "mobisweep:replay_epochs", "mobisweep:replay_recorded_trial"


@dataclass
class ReplayedJob:
    """What a replayed trial returns to the sweep loop, as a Hydra ``JobReturn`` would: its value,
    or its error raised when the value is read."""

    value: Any
    hydra_cfg: Any = None

    @property
    def return_value(self) -> Any:
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


@dataclass
class _Running:
    trial: optuna.Trial
    recorded: RecordedTrial
    stopper: Stopper
    epochs: int = 0  # epochs run so far


class TableCosts(PointFigures):
    """The figures known before training, as the table recorded them (in place of counting a
    model): mult-adds, parameters and any latency, per point."""

    def __init__(self, table: RecordedTable, objectives: Sequence[str]) -> None:
        self.table, self.objectives = table, list(objectives)

    def check(self, checked: Sequence[tuple[dict[str, Any], Any]]) -> None:
        """Refuse a point the table lacks, or an objective it did not record, up front."""
        for name in self.objectives:
            if name != metrics.TOP1.name and not self.table.has(name):
                raise ConfigError("objectives", name,
                                  f"the table {self.table.path} did not record it")
        for point, _ in checked:
            self.table.check(point)

    def of(self, point: dict[str, Any], cfg: Any = None, latency: bool = False
           ) -> dict[str, float]:
        rows = self.table.matching(point)
        if not rows:
            self.table.check(point)  # raises, naming the point
        figures = self.table.trial(rows[0]).figures
        return {k: v for k, v in figures.items()
                if metrics.BY_NAME[k].source == "cost" or (latency and metrics.is_latency(k))
                or (metrics.is_latency(k) and k in self.objectives)}


class SimulatedSlots:
    """``size`` slots whose trials replay recorded curves on one simulated clock."""

    def __init__(self, table: RecordedTable, seed: int, study: optuna.Study,
                 objectives: Sequence[str], pruner: Any, size: int) -> None:
        self.table, self.seed, self.study = table, seed, study
        self.objectives, self.pruner = list(objectives), pruner
        self.size = max(1, int(size))
        self.now = 0.0
        self._running: dict[int, _Running] = {}
        self._events: list[tuple[float, int, int]] = []  # (time, tie-break, trial number)
        self._order = itertools.count()

    @property
    def running(self) -> list[optuna.Trial]:
        return [r.trial for r in self._running.values()]

    @property
    def free(self) -> int:
        return self.size - len(self._running)

    @property
    def busy(self) -> int:
        return len(self._running)

    def start(self, trial: optuna.Trial, overrides: Sequence[str], job_idx: int) -> None:
        if self.free < 1:
            raise RuntimeError("no free slot")
        recorded = self.table.draw(trial.params, self.seed)
        stopper = make_stopper(self.study, trial, self.objectives, self.pruner)
        trial.set_user_attr(STARTED, self.now)
        trial.set_user_attr(RECORDED, recorded.number)
        self._running[trial.number] = _Running(trial, recorded, stopper)
        self._schedule(trial.number, self.now + recorded.seconds[0])

    def _schedule(self, number: int, at: float) -> None:
        heapq.heappush(self._events, (at, next(self._order), number))

    def wait(self, timeout: float | None = None) -> list[tuple[optuna.Trial, ReplayedJob]]:
        """Advance the clock to the next trial that ends (its epochs told to its stopper on the
        way); it returns alone, so that the loop claims its successor at that moment."""
        while self._events:
            at, _, number = heapq.heappop(self._events)
            self.now = at
            job = self._running[number]
            epoch = job.epochs
            top1 = job.recorded.top1[epoch]
            job.epochs += 1
            reason = job.stopper.after_epoch(epoch, top1)
            if reason is None and job.epochs < job.recorded.epochs:
                self._schedule(number, at + job.recorded.seconds[job.epochs])
                continue
            del self._running[number]
            job.trial.set_user_attr(ENDED, at)
            job.trial.set_user_attr(EPOCHS, job.epochs)
            if reason is not None:
                job.trial.set_user_attr(PRUNED_AT, epoch)
                return [(job.trial, ReplayedJob(Pruned(reason)))]
            if not job.recorded.complete:  # the record stops here; the replay would go on
                return [(job.trial, ReplayedJob(RuntimeError(
                    f"recorded trial {job.recorded.number} was stopped after epoch {epoch}; "
                    "this replay would train it further")))]
            return [(job.trial, ReplayedJob(self._objectives(job.recorded)))]
        return []

    def _objectives(self, recorded: RecordedTrial) -> float | list[float]:
        values = list(objectives_of(recorded, self.objectives).values())
        return values[0] if len(values) == 1 else values

    def stop(self) -> None:
        self._running.clear()
        self._events.clear()


def objectives_of(recorded: RecordedTrial, objectives: Sequence[str]) -> Mapping[str, float]:
    """A recorded trial's objectives by name (top-1 at its last epoch)."""
    return {name: recorded.top1[-1] if name == metrics.TOP1.name else recorded.figures[name]
            for name in objectives}
