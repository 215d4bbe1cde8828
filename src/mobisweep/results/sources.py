"""Naming a study to read, the same way everywhere (report, notebook, reference): a sweep folder
(``sweeps/<study>`` with its ``study.db``, or only its ``trials.csv``), a ``trials.csv`` file, or a
storage URL with a study name (needed only where the storage holds several). Reading never writes:
a missing database is refused, not created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from mobisweep.core import metrics
from mobisweep.core.atomic_files import read_json
from mobisweep.core.errors import ConfigError
from mobisweep.core.trial_folder import RESULT_KEYS
from mobisweep.models import network_config, point_label
from mobisweep.results.points import read_curves
from mobisweep.results.summary import SweepSummary, TrialRow, summarize_rows, summarize_study
from mobisweep.results.trials_csv import CONFIG_COLUMNS, CURVES_FILE, TRIALS_FILE, read_csv
from mobisweep.sweep.storage import masked, open_storage

STUDY_DB = "study.db"
# trials.csv columns that are neither parameters nor figures.
BOOKKEEPING = {"number", "state", "pareto_rank", "note", "result_path", "n", "wall_seconds",
               metrics.TOP1_MEAN, metrics.TOP1_SD}


def open_summary(target: str, study_name: str | None = None) -> tuple[SweepSummary, Path]:
    """The summary of the study ``target`` names, and the folder its report belongs in."""
    path = Path(target)
    if "://" in target:
        return _from_storage(target, study_name), Path("sweeps") / (study_name or "study")
    if path.is_dir() and (path / STUDY_DB).is_file():
        url = f"sqlite:///{path / STUDY_DB}"
        return _from_storage(url, study_name, default=path.name), path
    if path.is_dir() and (path / TRIALS_FILE).is_file():
        return summary_from_csv(path / TRIALS_FILE, study_name or path.name), path
    if path.is_file() and path.suffix == ".csv":
        return summary_from_csv(path, study_name or path.parent.name), path.parent
    raise ConfigError(
        "target",
        target,
        f"neither a sweep folder (with {STUDY_DB} or {TRIALS_FILE}),"
        f" a {TRIALS_FILE} nor a storage URL",
    )


def _from_storage(url: str, study_name: str | None, default: str | None = None) -> SweepSummary:
    storage = open_storage(url, heartbeat_interval=None)
    assert storage is not None  # a URL opens a storage
    names = optuna.get_all_study_names(storage)
    if study_name is None:
        study_name = names[0] if len(names) == 1 else default
    if study_name not in names:
        raise ConfigError("study", study_name, f"no such study in {masked(url)}; it holds: "
                                               f"{', '.join(names) or 'none'}")
    study = optuna.load_study(study_name=study_name, storage=storage)
    objectives = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
    return summarize_study(study, objectives)


def _objectives(columns: list[str]) -> list[str]:
    """The objective columns of trials.csv: the figures before those that follow in
    ``metrics.SUMMARY`` order (write_trials_csv's layout)."""
    figures = [c for c in columns if c in metrics.BY_NAME]
    for k in range(len(figures) + 1):
        rest = [f.name for f in metrics.SUMMARY if f.name not in figures[:k] and f.name in columns]
        if figures[k:] == rest:
            return figures[:k]
    return []


def _figure(text: str) -> float | bool:
    return text == "True" if text in ("True", "False") else float(text)


def _value(text: str | None) -> Any:
    if text in (None, ""):
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text else number


def summary_from_csv(path: Path, study_name: str) -> SweepSummary:
    """A summary rebuilt from ``trials.csv`` (and ``curves.csv`` beside it), no storage needed."""
    columns, records = read_csv(path, ("number", "state"))
    objectives = _objectives(columns)
    params = [c for c in columns if c not in BOOKKEEPING and c not in metrics.BY_NAME
              and not c.startswith("config/")]
    curves = {number: [{**point, "epoch": int(point["epoch"])} for point in points]
              for number, points in read_curves(path.parent / CURVES_FILE).items()}
    rows = []
    for record in records:
        number = int(record["number"])
        values = [float(record[o]) for o in objectives] if record["state"] == "COMPLETE" else None
        config = {k: _value(record.get(f"config/{k}")) for k in CONFIG_COLUMNS}
        row = TrialRow(
            number,
            record["state"],
            {p: _value(record[p]) for p in params if record[p] != ""},
            values,
            figures={
                f: _figure(record[f]) for f in metrics.BY_NAME if record.get(f) not in (None, "")
            },
            note=record.get("note", ""),
            result_path=record.get("result_path") or None,
            rank=_value(record.get("pareto_rank")),
            config=config,
            curves=curves.get(number, []),
            wall_seconds=_value(record.get("wall_seconds")),
        )
        row.label = _label(row, path.parent)
        rows.append(row)
    directions = [metrics.BY_NAME[o].direction for o in objectives]
    return summarize_rows(study_name, objectives, directions, rows)


def _label(row: TrialRow, folder: Path) -> str:
    """The trial's label from its result.json where it is at hand, else from its parameters."""
    result = folder / row.result_path if row.result_path else None
    if result is not None and result.is_file():
        return point_label(read_json(result, RESULT_KEYS)["config"])
    if row.state != "COMPLETE":
        return f"#{row.number}"
    p = row.params
    resolution = row.config.get("resolution") or (f"ρ{p['data.rho']}" if "data.rho" in p else "?")
    return point_label({"model": network_config(p), "alpha": p.get("model.alpha"),
                        "depth": p.get("model.depth"), "block": p.get("model.block"),
                        "resolution": resolution})
