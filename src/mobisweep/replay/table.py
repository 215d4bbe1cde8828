"""A recorded sweep as a table to replay: its trials grouped into points (seeds apart), each trial
with its figures, its learning curve and each epoch's wall seconds."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mobisweep.core import metrics
from mobisweep.core.errors import ConfigError
from mobisweep.results.points import NOT_PARAMS, points, read_curves
from mobisweep.results.summary import REPEAT_KEYS
from mobisweep.results.trials_csv import CURVES_FILE, TRIALS_FILE, read_csv

# Beside a table: latency measured per point apart from the trials (one process, interleaved
# rounds: benchmarks/design_space_latency.py), its columns named as the table's parameters and
# mobisweep's figures; a replay joins its figures to every trial of the point.
LATENCY_FILE = "latency.csv"


@dataclass(frozen=True)
class RecordedTrial:
    """One recorded trial: its figures (``metrics`` names), top-1 and wall seconds per epoch."""

    number: int
    figures: Mapping[str, float]
    top1: Sequence[float]  # after each epoch
    seconds: Sequence[float]  # each epoch's wall seconds (training and validation)
    train_images: int | None
    complete: bool = True  # False: stopped early when recorded, its curve ends there

    @property
    def epochs(self) -> int:
        return len(self.top1)


def _same(recorded: str, value: Any) -> bool:
    try:
        return math.isclose(float(recorded), float(value), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(recorded) == str(value)


def _join_latency(rows: list[dict[str, str]], params: Sequence[str], path: Path
                  ) -> list[dict[str, str]]:
    if not path.is_file():
        return rows
    _, measured = read_csv(path, (), LATENCY_FILE)
    keys = [k for k in params if measured and k in measured[0]]
    by_point = {tuple(float(m[k]) for k in keys): m for m in measured}
    joined = []
    for row in rows:
        try:
            extra = by_point.get(tuple(float(row[k]) for k in keys), {})
        except ValueError:
            extra = {}
        joined.append({**row, **{k: v for k, v in extra.items()
                                 if k in metrics.BY_NAME and not row.get(k)}})
    return joined


class RecordedTable:
    """``trials.csv`` and ``curves.csv`` of a folder, read once: its COMPLETE trials, and its
    trials stopped early (PRUNED) with the curve they ran, which a replay can follow as far as it
    goes (a replay of a pruned sweep on its own record stops them again where they stopped)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        path = self.folder / TRIALS_FILE if self.folder.is_dir() else self.folder
        if not path.is_file():
            raise ConfigError("replay.table", str(folder), f"no {TRIALS_FILE} there")
        self.path = path
        columns, rows = read_csv(path, ("number", "state"))
        self.params = [c for c in columns if c not in NOT_PARAMS and "/" not in c]
        self.curves = read_curves(path.parent / CURVES_FILE)
        rows = _join_latency(rows, self.params, path.parent / LATENCY_FILE)
        columns = list(dict.fromkeys([*columns, *(k for r in rows[:1] for k in r)]))
        self.rows = [r for r in rows if r["state"] == "COMPLETE" or (
            r["state"] == "PRUNED" and self.curves.get(int(float(r["number"]))))]
        if not any(r["state"] == "COMPLETE" for r in self.rows):
            raise ConfigError("replay.table", str(path), "holds no COMPLETE trial")
        self.columns = columns

    def has(self, figure: str) -> bool:
        return figure in self.columns and any(r[figure] != "" for r in self.rows)

    def matching(self, point: Mapping[str, Any]) -> list[dict[str, str]]:
        """The recorded trials of ``point`` (swept values by config key), every seed of it unless
        the point names its seed."""
        return [r for r in self.rows
                if all(_same(r[k], v) for k, v in point.items() if k in self.params)]

    def check(self, point: Mapping[str, Any]) -> None:
        """Refuse, in one line, a point this table cannot replay."""
        unknown = [k for k in point if k not in self.params and k not in REPEAT_KEYS]
        if unknown:
            raise ConfigError(f"hydra.sweeper.params.{unknown[0]}", point[unknown[0]],
                              f"the table {self.path} did not vary it (its parameters: "
                              f"{', '.join(self.params) or 'none'})")
        if not self.matching(point):
            shown = ", ".join(f"{k}={v}" for k, v in point.items())
            raise ConfigError("replay.table", str(self.path), f"holds no trial of {shown}")

    def draw(self, point: Mapping[str, Any], seed: int) -> RecordedTrial:
        """One recorded trial of ``point``: its only one, or one of its seeds drawn with ``seed``
        (the same point draws the same seed in every replay of that seed, whatever the method)."""
        self.check(point)
        rows = sorted(self.matching(point), key=lambda r: int(float(r["number"])))
        key = json.dumps({k: str(v) for k, v in sorted(point.items())})
        row = random.Random(f"{seed}:{key}").choice(rows) if len(rows) > 1 else rows[0]
        return self.trial(row)

    def trial(self, row: Mapping[str, str]) -> RecordedTrial:
        number = int(float(row["number"]))
        curve = sorted(self.curves.get(number, []), key=lambda p: p["epoch"])
        figures = {k: float(v) for k, v in row.items()
                   if k in metrics.BY_NAME and v not in ("", "True", "False")}
        top1 = [p[metrics.TOP1.name] for p in curve if metrics.TOP1.name in p]
        if not top1:  # no curve recorded: one epoch, the trial's final figures
            top1 = [figures[metrics.TOP1.name]]
        seconds = [p.get(metrics.EPOCH_SECONDS.name) for p in curve][:len(top1)]
        if len(seconds) != len(top1) or any(s is None for s in seconds):
            # Tables recorded before epoch seconds were kept: the trial's wall time, evenly.
            wall = float(row.get("wall_seconds") or 0.0) or float(len(top1))
            seconds = [wall / len(top1)] * len(top1)
        images = row.get("config/train_images")
        return RecordedTrial(number, figures, top1, [float(s or 0.0) for s in seconds],
                             int(float(images)) if images else None, row["state"] == "COMPLETE")

    @cached_property
    def points(self) -> list[dict[str, str]]:
        """Every recorded point (its parameters less the seed), in the order first seen."""
        return [point.params for point in points(self.rows)]
