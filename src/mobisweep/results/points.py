"""A sweep's trials read back from ``trials.csv`` / ``curves.csv`` and grouped into points over
their seeds: the one grouping of repeats that the reference tables, the replays and the report
share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.models import network_config
from mobisweep.results.summary import mean_sd, point_of
from mobisweep.results.trials_csv import CURVES_FILE, TRIALS_FILE, read_csv

# Columns of trials.csv that are not the trial's parameters.
NOT_PARAMS = {"number", "state", "pareto_rank", "note", "result_path", "n", "wall_seconds"}


@dataclass
class Point:
    """One configuration of a sweep: its parameters, figures and every seed's top-1."""

    params: dict[str, str]
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def top1(self) -> list[float]:
        return [float(r[metrics.TOP1.name]) for r in self.rows]

    @property
    def mean(self) -> float:
        return mean_sd(self.top1)[0]

    @property
    def sd(self) -> float | None:
        return mean_sd(self.top1)[1]

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def se(self) -> float:
        """Standard error of the mean top-1: over seeds, else binomial over the validation set."""
        if self.sd is not None:
            return self.sd / math.sqrt(self.n)
        images = self.rows[0].get("config/val_images")
        if not images:
            return float("nan")
        return math.sqrt(self.mean * (1 - self.mean) / float(images))

    def figure(self, key: str) -> float:
        return float(self.rows[0][key])

    @property
    def network(self) -> str:
        """``vgg16``: the model or baseline config the sweep chose for this point."""
        return network_config(self.params)

    def get(self, key: str, default: str = "") -> str:
        return self.params.get(key, self.rows[0].get(key, default))

    def config(self, key: str) -> str:
        return self.rows[0].get(f"config/{key}", "")


def read_trials(path: Path) -> list[dict[str, str]]:
    return [row for row in read_csv(path, ("number", "state", metrics.TOP1.name))[1]
            if row["state"] == "COMPLETE"]


def read_curves(path: Path) -> dict[int, list[dict[str, float]]]:
    """``trial number -> [{epoch, val/acc1, ...}]`` from ``curves.csv`` (empty if none)."""
    curves: dict[int, list[dict[str, float]]] = {}
    if not path.is_file():
        return curves
    for row in read_csv(path, ("number", "epoch"), CURVES_FILE)[1]:
        curves.setdefault(int(float(row["number"])), []).append(
            {k: float(v) for k, v in row.items() if k != "number" and v != ""})
    return curves


Curves = dict[int, list[dict[str, float]]]


def read_experiment(folder: Path, name: str) -> tuple[list[dict[str, str]], Curves] | None:
    """``folder/name``'s complete trials and their curves; None where it has not run."""
    path = folder / name / TRIALS_FILE
    if not path.is_file():
        return None
    return read_trials(path), read_curves(path.parent / CURVES_FILE)


def points(rows: Sequence[dict[str, str]]) -> list[Point]:
    """Trials grouped by their parameters less the seed, in the order first seen."""
    grouped: dict[tuple, Point] = {}
    for row in rows:
        key = point_of({k: v for k, v in row.items() if k not in NOT_PARAMS and "/" not in k})
        grouped.setdefault(key, Point({k: v for k, v in row.items() if (k, v) in key})
                           ).rows.append(row)
    return list(grouped.values())
