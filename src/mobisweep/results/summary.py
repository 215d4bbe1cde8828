"""A study read back: every trial with its figures, seeds grouped into points, the Pareto front.

Figures come from each trial's ``result.json``; a trial skipped over budget keeps the cost figures
the sweeper recorded on it (``mobisweep.sweep.recorder``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from mobisweep.core import metrics
from mobisweep.core.atomic_files import read_json
from mobisweep.core.pareto import hypervolume, non_dominated_sort
from mobisweep.core.trial_folder import RESULT_KEYS
from mobisweep.models import point_label
from mobisweep.sweep.trial_attrs import CURVE, ERROR, RESULT_PATH, SECONDS, SKIPPED

# Repeats of one point (the same parameters but the seed) are summarized as mean, sd and n.
REPEAT_KEYS = ("seed",)


def point_of(params: Mapping[str, Any]) -> tuple:
    """The point a trial measures: its parameters less the seed (``REPEAT_KEYS``)."""
    return tuple(sorted((k, v) for k, v in params.items() if k not in REPEAT_KEYS))


@dataclass
class TrialRow:
    number: int
    state: str
    params: dict[str, Any]
    values: list[float] | None
    figures: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    result_path: str | None = None
    rank: int | None = None  # Pareto rank among complete trials (0 = on the front)
    # alpha-resolution for MobileNet (the paper's "0.75 MobileNet-192"), else the model
    label: str = ""
    config: dict[str, Any] = field(default_factory=dict)  # the trial's flat config (result.json)
    curves: list[dict[str, float]] = field(default_factory=list)  # per epoch (result.json)
    wall_seconds: float | None = None

    @property
    def point(self) -> tuple:
        """The point this trial measures: its parameters less the seed."""
        return point_of(self.params)


@dataclass
class SweepSummary:
    study_name: str
    objectives: list[str]
    directions: list[str]
    rows: list[TrialRow]
    hypervolume: float | None
    hypervolume_origin: list[float] | None

    def count(self, state: str) -> int:
        return sum(row.state == state for row in self.rows)

    @property
    def front(self) -> list[TrialRow]:
        return [row for row in self.rows if row.rank == 0]

    @property
    def param_names(self) -> list[str]:
        return sorted({name for row in self.rows for name in row.params})


def _row(trial: FrozenTrial) -> TrialRow:
    result_path = trial.user_attrs.get(RESULT_PATH)
    # Known before training (cost; latency under a latency budget): a skipped or failed trial
    # still shows what it would have cost.
    figures: dict[str, Any] = {f.name: trial.user_attrs[f.name] for f in (*metrics.COST,
                                                                          *metrics.SUMMARY)
                               if f.name in trial.user_attrs}
    config: dict[str, Any] = {}
    label = f"#{trial.number}"
    record: dict[str, Any] = {}
    if result_path and Path(result_path).is_file():
        record = read_json(Path(result_path), RESULT_KEYS)
        figures.update({f.name: record["metrics"][f.name] for f in metrics.SUMMARY
                        if f.name in record["metrics"]})
        config = record["config"]
        label = point_label(config)
    note = trial.user_attrs.get(ERROR) or trial.user_attrs.get(SKIPPED) or ""
    # A trial stopped early leaves no result.json: its top-1 per epoch is in the study, and its
    # wall time is the study's.
    curves = record.get("curves") or reported_curve(trial)
    wall = record.get("wall_seconds")
    if wall is None and curves and trial.datetime_start and trial.datetime_complete:
        wall = (trial.datetime_complete - trial.datetime_start).total_seconds()
    return TrialRow(trial.number, trial.state.name, dict(trial.params),
                    list(trial.values) if trial.values is not None else None, figures, note,
                    result_path, label=label, config=config, curves=curves, wall_seconds=wall)


def reported_curve(trial: FrozenTrial) -> list[dict[str, float]]:
    """Top-1 per epoch as the trial reported it to the study (``mobisweep:top1@<epoch>``), with
    each epoch's wall seconds where it recorded them (``mobisweep:seconds@<epoch>``)."""
    prefix = CURVE.format("")
    epochs = sorted(int(k[len(prefix):]) for k in trial.user_attrs if k.startswith(prefix))
    return [{"epoch": e, metrics.TOP1.name: trial.user_attrs[CURVE.format(e)],
             **({metrics.EPOCH_SECONDS.name: trial.user_attrs[SECONDS.format(e)]}
                if SECONDS.format(e) in trial.user_attrs else {})} for e in epochs]


def mean_sd(values: Sequence[float]) -> tuple[float, float | None, int]:
    """Mean, sample standard deviation (None for one value) and n."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return mean, sd, n


def repeats(rows: Sequence[TrialRow], figure: str = metrics.TOP1.name) -> dict[tuple, tuple]:
    """``point -> (mean, sd, n)`` of ``figure`` over the complete trials of each point."""
    values: dict[tuple, list[float]] = {}
    for row in rows:
        if row.state == "COMPLETE" and figure in row.figures:
            values.setdefault(row.point, []).append(float(row.figures[figure]))
    return {point: mean_sd(v) for point, v in values.items()}


def hypervolume_origin(values: Sequence[Sequence[float]], directions: Sequence[str]) -> list[float]:
    """The point the hypervolume is measured from (the literature's "reference point"; mobisweep
    keeps "reference" for its committed sweeps): 10 % of each objective's range beyond its worst
    observed value (a fixed rule, stated)."""
    origin = []
    for k, direction in enumerate(directions):
        column = [v[k] for v in values]
        spread = (max(column) - min(column)) or abs(max(column)) or 1.0
        worst = min(column) if direction == "maximize" else max(column)
        origin.append(worst - 0.1 * spread if direction == "maximize" else worst + 0.1 * spread)
    return origin


def summarize_study(study: optuna.Study, objectives: Sequence[str]) -> SweepSummary:
    directions = [d.name.lower() for d in study.directions]
    rows = [_row(t) for t in study.get_trials(deepcopy=False)]
    return summarize_rows(study.study_name, objectives, directions, rows)


def summarize_rows(study_name: str, objectives: Sequence[str], directions: Sequence[str],
                   rows: list[TrialRow]) -> SweepSummary:
    """Pareto ranks of the complete trials, and the hypervolume of their objectives."""
    directions = list(directions)
    complete = [row for row in rows if row.state == "COMPLETE" and row.values is not None]
    values = [row.values for row in complete if row.values is not None]
    volume = origin = None
    if complete:
        ranks = non_dominated_sort(values, directions)
        for row, rank in zip(complete, ranks):
            row.rank = rank
        origin = hypervolume_origin(values, directions)
        volume = hypervolume(values, directions, origin)
    return SweepSummary(study_name, list(objectives), directions, rows, volume, origin)
