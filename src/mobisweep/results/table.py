"""The summary table of a study, on the console: one row per trial, the Pareto front starred."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from mobisweep.config.console import output_console
from mobisweep.core import metrics
from mobisweep.results.summary import SweepSummary, repeats

# The figures of a row, in order, as ``metrics`` shows them.
COLUMNS = (metrics.TOP1, metrics.TOP5, metrics.MULT_ADDS, metrics.PARAMS, metrics.LATENCY)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def _mean_sd(stats: tuple | None) -> str:
    if stats is None:
        return ""
    mean, sd, n = stats
    top1 = metrics.TOP1
    return f"{top1.shown(mean)} ± {top1.shown(sd)} ({n})" if sd is not None \
        else f"{top1.shown(mean)} (1)"


def summary_table(summary: SweepSummary) -> Table:
    param_names = summary.param_names
    over = sum(r.state == "PRUNED" and r.note.startswith("over budget") for r in summary.rows)
    title = (f"study {summary.study_name}: {summary.count('COMPLETE')} complete, "
             f"{summary.count('FAIL')} failed, {over} skipped (over budget), "
             f"{summary.count('PRUNED') - over} pruned; {len(summary.front)} on the Pareto front")
    if summary.hypervolume is not None and summary.hypervolume_origin is not None:
        origin = ", ".join(_fmt(r) for r in summary.hypervolume_origin)
        title += f", hypervolume {summary.hypervolume:.4g} (from [{origin}])"
    table = Table(title=title)
    short = [name.rsplit(".", 1)[-1] for name in param_names]  # model.alpha -> alpha
    by_point = repeats(summary.rows)
    seeded = any(n > 1 for _, _, n in by_point.values())
    headers = [f"{f.label} {f.unit}" for f in COLUMNS]
    if seeded:
        headers.insert(1, f"point {metrics.TOP1.label} % (mean ± sd, n)")
    for column in ("#", "state", "★", *short, *headers, "note"):
        table.add_column(column, justify="left" if column in ("state", "note") else "right",
                         overflow="fold")
    order = sorted(summary.rows, key=lambda r: (r.rank is None, r.rank or 0, r.number))
    for row in order:
        cells = [f.shown(row.figures.get(f.name)) for f in COLUMNS]
        if row.figures.get(metrics.LATENCY_NOISY.name):  # its spread never settled
            cells[COLUMNS.index(metrics.LATENCY)] += " (noisy)"
        if seeded:
            cells.insert(1, _mean_sd(by_point.get(row.point)))
        table.add_row(str(row.number), row.state, "★" if row.rank == 0 else "",
                      *(_fmt(row.params.get(n)) for n in param_names), *cells, row.note[:80])
    return table


def print_sweep_summary(summary: SweepSummary, console: Console | None = None) -> None:
    (console or output_console()).print(summary_table(summary))
