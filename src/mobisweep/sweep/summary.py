"""The end of a sweep: every trial with its figures, the Pareto front, hypervolume, trials.csv, W&B."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState
from rich.console import Console
from rich.table import Table

from mobisweep.pareto import hypervolume, non_dominated_sort

# Figures read from each trial's result.json, beside its objectives.
FIGURES = ("val/acc1", "val/acc5", "cost/mult_adds_M", "cost/params_M", "latency/median_ms",
           "latency/cv", "train/images_per_s")
# The budget a trial ran on, from its result.json (trials.csv's ``config/`` columns): enough to say
# what a committed sweep cost and to rerun it.
CONFIG_COLUMNS = ("data", "num_classes", "resolution", "train_images", "val_images", "max_epochs",
                  "batch_size", "optimizer", "lr", "scheduler", "seed")
CURVE_COLUMNS = ("val/acc1", "val/acc5", "val/loss")
# Repeats of one point (the same parameters but the seed) are summarized as mean, sd and n.
REPEAT_KEYS = ("seed",)


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
    label: str = ""  # alpha-resolution for MobileNet (the paper's "0.75 MobileNet-192"), else the model
    config: dict[str, Any] = field(default_factory=dict)  # the trial's flat config (result.json)
    curves: list[dict[str, float]] = field(default_factory=list)  # per epoch (result.json)
    wall_seconds: float | None = None

    @property
    def point(self) -> tuple:
        """The point this trial measures: its parameters less the seed."""
        return tuple(sorted((k, v) for k, v in self.params.items() if k not in REPEAT_KEYS))


@dataclass
class SweepSummary:
    study_name: str
    objectives: list[str]
    directions: list[str]
    rows: list[TrialRow]
    hypervolume: float | None
    reference: list[float] | None

    def count(self, state: str) -> int:
        return sum(row.state == state for row in self.rows)

    @property
    def front(self) -> list[TrialRow]:
        return [row for row in self.rows if row.rank == 0]


def _row(trial: FrozenTrial) -> TrialRow:
    result_path = trial.user_attrs.get("result_path")
    figures: dict[str, Any] = {}
    config: dict[str, Any] = {}
    label = f"#{trial.number}"
    record: dict[str, Any] = {}
    if result_path and Path(result_path).is_file():
        record = json.loads(Path(result_path).read_text())
        figures = {k: record["metrics"][k] for k in FIGURES if k in record["metrics"]}
        config = record["config"]
        label = trial_label(config)
    note = trial.user_attrs.get("error") or trial.user_attrs.get("skipped") or ""
    return TrialRow(trial.number, trial.state.name, dict(trial.params),
                    list(trial.values) if trial.values is not None else None, figures, note,
                    result_path, label=label, config=config, curves=record.get("curves", []),
                    wall_seconds=record.get("wall_seconds"))


def mean_sd(values: Sequence[float]) -> tuple[float, float | None, int]:
    """Mean, sample standard deviation (None for one value) and n."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return mean, sd, n


def repeats(rows: Sequence[TrialRow], figure: str = "val/acc1") -> dict[tuple, tuple]:
    """``point -> (mean, sd, n)`` of ``figure`` over the complete trials of each point."""
    values: dict[tuple, list[float]] = {}
    for row in rows:
        if row.state == "COMPLETE" and figure in row.figures:
            values.setdefault(row.point, []).append(float(row.figures[figure]))
    return {point: mean_sd(v) for point, v in values.items()}


def trial_label(config: dict[str, Any]) -> str:
    """``0.75-48`` for MobileNet (alpha-resolution, with depth/block when not the paper's), else
    the model's name and resolution."""
    if config.get("alpha") is None:
        return f"{config['model']}-{config['resolution']}"
    label = f"{config['alpha']:g}-{config['resolution']}"
    if config.get("depth") not in (None, 5):
        label += f" d{config['depth']}"
    if config.get("block") not in (None, "separable"):
        label += f" {config['block']}"
    return label


def reference_point(values: Sequence[Sequence[float]], directions: Sequence[str]) -> list[float]:
    """10 % of each objective's range beyond its worst observed value (a fixed rule, stated)."""
    reference = []
    for k, direction in enumerate(directions):
        column = [v[k] for v in values]
        spread = (max(column) - min(column)) or abs(max(column)) or 1.0
        worst = min(column) if direction == "maximize" else max(column)
        reference.append(worst - 0.1 * spread if direction == "maximize" else worst + 0.1 * spread)
    return reference


def summarize_study(study: optuna.Study, objectives: Sequence[str]) -> SweepSummary:
    directions = [d.name.lower() for d in study.directions]
    rows = [_row(t) for t in study.get_trials(deepcopy=False)]
    complete = [row for row in rows if row.state == "COMPLETE" and row.values is not None]
    volume = reference = None
    if complete:
        ranks = non_dominated_sort([row.values for row in complete], directions)
        for row, rank in zip(complete, ranks):
            row.rank = rank
        reference = reference_point([row.values for row in complete], directions)
        volume = hypervolume([row.values for row in complete], directions, reference)
    return SweepSummary(study.study_name, list(objectives), directions, rows, volume, reference)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def summary_table(summary: SweepSummary) -> Table:
    param_names = sorted({name for row in summary.rows for name in row.params})
    title = (f"study {summary.study_name}: {summary.count('COMPLETE')} complete, "
             f"{summary.count('FAIL')} failed, {summary.count('PRUNED')} skipped (over budget); "
             f"{len(summary.front)} on the Pareto front")
    if summary.hypervolume is not None:
        title += f", hypervolume {summary.hypervolume:.4g} (reference {[_fmt(r) for r in summary.reference]})"
    table = Table(title=title)
    short = [name.rsplit(".", 1)[-1] for name in param_names]  # model.alpha -> alpha
    by_point = repeats(summary.rows)
    seeded = any(n > 1 for _, _, n in by_point.values())
    for column in ("#", "state", "★", *short, "top-1 %",
                   *(["point top-1 % (mean ± sd, n)"] if seeded else []), "top-5 %",
                   "M mult-adds", "M params", "latency ms", "note"):
        table.add_column(column, justify="left" if column in ("state", "note") else "right",
                         overflow="fold")
    order = sorted(summary.rows, key=lambda r: (r.rank is None, r.rank or 0, r.number))
    for row in order:
        f = row.figures
        table.add_row(str(row.number), row.state, "★" if row.rank == 0 else "",
                      *(_fmt(row.params.get(n)) for n in param_names),
                      _percent(f.get("val/acc1")),
                      *([_mean_sd(by_point.get(row.point))] if seeded else []),
                      _percent(f.get("val/acc5")),
                      _fixed(f.get("cost/mult_adds_M"), 2), _fixed(f.get("cost/params_M"), 3),
                      _fixed(f.get("latency/median_ms"), 2), row.note[:80])
    return table


def _mean_sd(stats: tuple | None) -> str:
    if stats is None:
        return ""
    mean, sd, n = stats
    return f"{100 * mean:.2f} ± {100 * sd:.2f} ({n})" if sd is not None else f"{100 * mean:.2f} (1)"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}"


def _fixed(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def write_trials_csv(summary: SweepSummary, path: Path) -> Path:
    """One row per trial: parameters, objectives, figures, top-1 mean/sd/n over the point's seeds,
    Pareto rank, the budget it ran on (``config/*``), state and note; and ``curves.csv`` beside it,
    validation top-1/top-5/loss per epoch of every trial. Paths are relative to the CSV's folder,
    so a committed sweep holds nothing of the machine it ran on."""
    param_names = sorted({name for row in summary.rows for name in row.params})
    columns = ["number", "state", "pareto_rank", *param_names, *summary.objectives,
               *[f for f in FIGURES if f not in summary.objectives],
               "val/acc1_mean", "val/acc1_sd", "n", *(f"config/{k}" for k in CONFIG_COLUMNS),
               "wall_seconds", "note", "result_path"]
    by_point = repeats(summary.rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        for row in summary.rows:
            mean, sd, n = by_point.get(row.point, (None, None, None))
            record = {"number": row.number, "state": row.state, "pareto_rank": row.rank,
                      "note": row.note, "result_path": _relative(row.result_path, path.parent),
                      "val/acc1_mean": mean, "val/acc1_sd": sd, "n": n,
                      "wall_seconds": row.wall_seconds, **row.params}
            record.update({k: row.figures.get(k) for k in FIGURES if k in columns})
            record.update({f"config/{k}": row.config.get(k) for k in CONFIG_COLUMNS})
            for k, objective in enumerate(summary.objectives):
                record[objective] = row.values[k] if row.values else None
            writer.writerow(record)
    with (path.parent / "curves.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["number", "epoch", *CURVE_COLUMNS])
        writer.writeheader()
        for row in summary.rows:
            for point in row.curves:
                writer.writerow({"number": row.number, "epoch": point["epoch"],
                                 **{k: point.get(k) for k in CURVE_COLUMNS}})
    return path


def _relative(result_path: str | None, folder: Path) -> str | None:
    if not result_path:
        return None
    try:
        return os.path.relpath(Path(result_path).resolve(), folder.resolve())
    except ValueError:  # another drive (Windows): no relative path exists
        return Path(result_path).name


def print_summary(summary: SweepSummary, console: Console | None = None) -> None:
    (console or Console()).print(summary_table(summary))


def log_to_wandb(summary: SweepSummary, project: str, mode: str, directory: Path,
                 entity: str | None = None) -> str | None:
    """One W&B run (job_type ``summary``) with every trial as a table and Pareto scatter plots."""
    if mode == "disabled":
        return None
    import wandb

    param_names = sorted({name for row in summary.rows for name in row.params})
    columns = ["number", "state", "pareto", *param_names, *FIGURES]
    data = [[row.number, row.state, row.rank == 0, *(row.params.get(n) for n in param_names),
             *(row.figures.get(f) for f in FIGURES)] for row in summary.rows]
    directory.mkdir(parents=True, exist_ok=True)
    run = wandb.init(project=project, entity=entity, group=summary.study_name, job_type="summary",
                     name=f"{summary.study_name}-summary", mode=mode, dir=str(directory),
                     config={"objectives": summary.objectives, "directions": summary.directions},
                     settings=wandb.Settings(silent=True))
    try:
        table = wandb.Table(columns=columns, data=data)
        plots = {"trials": table}
        for x in ("cost/mult_adds_M", "cost/params_M", "latency/median_ms"):
            plots[f"pareto/val_acc1_vs_{x.split('/')[1]}"] = wandb.plot.scatter(
                table, x, "val/acc1", title=f"top-1 vs {x}")
        run.log(plots)
        run.summary.update({"hypervolume": summary.hypervolume,
                            "trials/complete": summary.count("COMPLETE"),
                            "trials/failed": summary.count("FAIL"),
                            "trials/skipped": summary.count("PRUNED"),
                            "trials/pareto": len(summary.front)})
        return str(Path(run.dir).parent)
    finally:
        run.finish()
