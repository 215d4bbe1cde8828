"""The committed reference read back from ``trials.csv`` / ``curves.csv``: trials grouped into
points over their seeds, standard errors, and the statistics the reference tables state."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.models import network_config
from mobisweep.results.summary import REPEAT_KEYS, mean_sd
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


def alpha_depth(point: Point) -> tuple[float, int]:
    """A MobileNet point's width multiplier and depth, whether the sweep chose a model config."""
    if "model" in point.params:  # thin_vs_shallow names the paper's two models
        return {"mobilenet_075": (0.75, 5), "mobilenet_shallow": (1.0, 0)}[point.params["model"]]
    return float(point.params["model.alpha"]), int(float(point.params["model.depth"]))


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
        params = {k: v for k, v in row.items() if k not in NOT_PARAMS and "/" not in k
                  and k not in REPEAT_KEYS}
        key = tuple(sorted(params.items()))
        grouped.setdefault(key, Point(params)).rows.append(row)
    return list(grouped.values())


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Rank correlation (average ranks for ties)."""
    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    return cov / math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))


@dataclass
class Steps:
    """Steps along a series that should lose accuracy: falls, ties (a rise within 2 SE), rises."""

    falls: int = 0
    ties: list[str] = field(default_factory=list)
    rises: list[str] = field(default_factory=list)

    def add(self, bigger: Point, smaller: Point, name: str) -> None:
        diff = smaller.mean - bigger.mean
        se = math.hypot(bigger.se, smaller.se)
        if diff < 0:
            self.falls += 1
        elif math.isnan(se):  # an older trials.csv without the validation set's size
            self.rises.append(f"{name} (+{100 * diff:.2f}; no standard error recorded)")
        elif diff <= 2 * se:
            self.ties.append(f"{name} (+{100 * diff:.2f} ≤ 2 SE = {200 * se:.2f})")
        else:
            self.rises.append(f"{name} (+{100 * diff:.2f} > 2 SE = {200 * se:.2f})")

    @property
    def total(self) -> int:
        return self.falls + len(self.ties) + len(self.rises)


def paired_difference(a: Point, b: Point) -> tuple[float, float | None, int]:
    """Mean, sd and n of ``a - b`` over the seeds both were run with (paired by seed)."""
    by_seed = {r.get("seed", "0"): float(r[metrics.TOP1.name]) for r in b.rows}
    diffs = [float(r[metrics.TOP1.name]) - by_seed[r.get("seed", "0")] for r in a.rows
             if r.get("seed", "0") in by_seed]
    if not diffs:
        return a.mean - b.mean, None, 1
    return mean_sd(diffs)


def levelled_off(point: Point, curves: dict[int, list[dict[str, float]]]) -> str:
    """The mean top-1 gained over the last epoch, against that of the first half of training."""
    runs = [curves[int(r["number"])] for r in point.rows if int(r["number"]) in curves]
    if not runs or min(len(c) for c in runs) < 3:
        return "no curve recorded"
    epochs = min(len(c) for c in runs)
    mean = [sum(c[e][metrics.TOP1.name] for c in runs) / len(runs) for e in range(epochs)]
    half = max(1, epochs // 2)
    return (f"{100 * (mean[-1] - mean[-2]):+.2f} points in the last of {epochs} epochs "
            f"({100 * (mean[half] - mean[0]) / half:+.2f} per epoch over the first {half})")
