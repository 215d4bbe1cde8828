"""The statistics the reference tables state, over the committed sweeps' points
(``mobisweep.results.points``): steps along a series, paired differences, curves levelled off,
rank correlation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from mobisweep.core import metrics
from mobisweep.results.points import Point
from mobisweep.results.summary import mean_sd


def alpha_depth(point: Point) -> tuple[float, int]:
    """A MobileNet point's width multiplier and depth, whether the sweep chose a model config."""
    if "model" in point.params:  # thin_vs_shallow names the paper's two models
        return {"mobilenet_075": (0.75, 5), "mobilenet_shallow": (1.0, 0)}[point.params["model"]]
    return float(point.params["model.alpha"]), int(float(point.params["model.depth"]))


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
