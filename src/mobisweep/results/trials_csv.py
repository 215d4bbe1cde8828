"""``trials.csv`` and ``curves.csv``: a sweep's record that needs no study storage to be read."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.core.atomic_files import write_text
from mobisweep.core.errors import ConfigError
from mobisweep.results.summary import SweepSummary, repeats

# The budget a trial ran on, from its result.json (trials.csv's ``config/`` columns): enough to say
# what a committed sweep cost and to rerun it.
CONFIG_COLUMNS = ("data", "num_classes", "resolution", "train_images", "val_images", "max_epochs",
                  "batch_size", "optimizer", "lr", "scheduler", "warmup_epochs", "seed")
TRIALS_FILE, CURVES_FILE = "trials.csv", "curves.csv"
# Columns that hold numbers wherever they are filled in; an integer where it counts.
INTEGER_COLUMNS = ("number", "epoch", "pareto_rank", "n")
NUMBER_COLUMNS = ("wall_seconds",)


def read_csv(path: Path, required: Sequence[str], kind: str = TRIALS_FILE
             ) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a ``trials.csv`` or ``curves.csv``, each row whole and its numbers
    numbers: a truncated or damaged file is one line naming the file and what is wrong in it."""
    def damaged(reason: str) -> ConfigError:
        return ConfigError("file", str(path), reason)

    try:
        with path.open(newline="", encoding="utf-8") as stream:
            text = stream.read()
        reader = csv.DictReader(io.StringIO(text))
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    except UnicodeDecodeError:
        raise damaged("not a text (UTF-8) file") from None
    except (OSError, csv.Error) as error:
        raise damaged(f"cannot be read ({error})") from None
    if text and not text.endswith("\n"):  # every row ends with a line break: the last one is cut
        raise damaged(f"line {text.count(chr(10)) + 1} ends mid-line: truncated")
    missing = [c for c in required if c not in columns]
    if missing:
        raise damaged(f"no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: "
                      f"empty, or not a mobisweep {kind}")
    numeric = set(INTEGER_COLUMNS) | set(NUMBER_COLUMNS) | {f.name for f in metrics.CURVES} | \
        set(metrics.BY_NAME)
    for line, row in enumerate(rows, start=2):
        if None in row or None in row.values():
            fields = len(columns) + len(row.get(None) or []) - list(row.values()).count(None)
            raise damaged(
                f"line {line} has {fields} of {len(columns)} fields: truncated or damaged"
            )
        for column in numeric & row.keys():
            value = row[column]
            if value in ("", "True", "False"):  # not measured; a noisy-latency flag
                continue
            try:
                number = float(value)
            except ValueError:
                raise damaged(f"line {line}: {column}={value!r} is not a number") from None
            if column in INTEGER_COLUMNS and not number.is_integer():
                raise damaged(f"line {line}: {column}={value!r} is not an integer")
    return columns, rows


def write_trials_csv(summary: SweepSummary, path: Path) -> Path:
    """One row per trial: parameters, objectives, figures, top-1 mean/sd/n over the point's seeds,
    Pareto rank, the budget it ran on (``config/*``), state and note; and ``curves.csv`` beside it,
    validation top-1/top-5/loss per epoch of every trial. Paths are relative to the CSV's folder,
    so a committed sweep holds nothing of the machine it ran on."""
    figures = [f.name for f in metrics.SUMMARY if f.name not in summary.objectives]
    columns = ["number", "state", "pareto_rank", *summary.param_names, *summary.objectives,
               *figures, metrics.TOP1_MEAN, metrics.TOP1_SD, "n",
               *(f"config/{k}" for k in CONFIG_COLUMNS), "wall_seconds", "note", "result_path"]
    by_point = repeats(summary.rows)
    stream = io.StringIO(newline="")
    writer = csv.DictWriter(stream, fieldnames=columns)
    writer.writeheader()
    for row in summary.rows:
        mean, sd, n = by_point.get(row.point, (None, None, None))
        record = {"number": row.number, "state": row.state, "pareto_rank": row.rank,
                  "note": row.note, "result_path": _relative(row.result_path, path.parent),
                  metrics.TOP1_MEAN: mean, metrics.TOP1_SD: sd, "n": n,
                  "wall_seconds": row.wall_seconds, **row.params}
        record.update({k: row.figures.get(k) for k in figures})
        record.update({f"config/{k}": row.config.get(k) for k in CONFIG_COLUMNS})
        for k, objective in enumerate(summary.objectives):
            record[objective] = row.values[k] if row.values else row.figures.get(objective)
        writer.writerow(record)
    write_text(path, stream.getvalue(), what="the sweep's trials.csv")
    curve_columns = [f.name for f in metrics.CURVES]
    stream = io.StringIO(newline="")
    writer = csv.DictWriter(stream, fieldnames=["number", "epoch", *curve_columns])
    writer.writeheader()
    for row in summary.rows:
        for point in row.curves:
            writer.writerow({"number": row.number, "epoch": point["epoch"],
                             **{k: point.get(k) for k in curve_columns}})
    write_text(path.parent / CURVES_FILE, stream.getvalue(), what="the sweep's curves.csv")
    return path


def _relative(result_path: str | None, folder: Path) -> str | None:
    if not result_path:
        return None
    try:
        return os.path.relpath(Path(result_path).resolve(), folder.resolve())
    except ValueError:  # another drive (Windows): no relative path exists
        return Path(result_path).name
