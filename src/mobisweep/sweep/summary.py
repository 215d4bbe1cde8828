"""The end of a sweep: every trial with its figures, the Pareto front, hypervolume, trials.csv, W&B."""

from __future__ import annotations

import csv
import json
import math
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
    if result_path and Path(result_path).is_file():
        record = json.loads(Path(result_path).read_text())
        figures = {k: record["metrics"][k] for k in FIGURES if k in record["metrics"]}
        config = record["config"]
        label = trial_label(config)
    note = trial.user_attrs.get("error") or trial.user_attrs.get("skipped") or ""
    return TrialRow(trial.number, trial.state.name, dict(trial.params),
                    list(trial.values) if trial.values is not None else None, figures, note,
                    result_path, label=label, config=config)


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
    for column in ("#", "state", "★", *short, "top-1 %", "top-5 %", "M mult-adds", "M params",
                   "latency ms", "note"):
        table.add_column(column, justify="left" if column in ("state", "note") else "right",
                         overflow="fold")
    order = sorted(summary.rows, key=lambda r: (r.rank is None, r.rank or 0, r.number))
    for row in order:
        f = row.figures
        table.add_row(str(row.number), row.state, "★" if row.rank == 0 else "",
                      *(_fmt(row.params.get(n)) for n in param_names),
                      _percent(f.get("val/acc1")), _percent(f.get("val/acc5")),
                      _fixed(f.get("cost/mult_adds_M"), 2), _fixed(f.get("cost/params_M"), 3),
                      _fixed(f.get("latency/median_ms"), 2), row.note[:80])
    return table


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}"


def _fixed(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def write_trials_csv(summary: SweepSummary, path: Path) -> Path:
    """One row per trial: parameters, objectives, figures, Pareto rank, state and note."""
    param_names = sorted({name for row in summary.rows for name in row.params})
    columns = ["number", "state", "pareto_rank", *param_names, *summary.objectives,
               *[f for f in FIGURES if f not in summary.objectives], "note", "result_path"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        for row in summary.rows:
            record = {"number": row.number, "state": row.state, "pareto_rank": row.rank,
                      "note": row.note, "result_path": row.result_path, **row.params}
            record.update({k: row.figures.get(k) for k in FIGURES if k in columns})
            for k, objective in enumerate(summary.objectives):
                record[objective] = row.values[k] if row.values else None
            writer.writerow(record)
    return path


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
