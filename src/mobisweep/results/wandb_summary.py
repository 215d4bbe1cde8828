"""A study's summary as one W&B run (``job_type: summary``): the trials in a table, Pareto plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mobisweep.core import metrics
from mobisweep.results.summary import SweepSummary


def log_to_wandb(summary: SweepSummary, project: str, mode: str, directory: Path,
                 entity: str | None = None) -> str | None:
    """The summary run; returns its folder (None when W&B is disabled)."""
    if mode == "disabled":
        return None
    import wandb

    figures = [f.name for f in metrics.SUMMARY]
    columns: list[str | int] = ["number", "state", "pareto", *summary.param_names, *figures]
    data = [
        [
            row.number,
            row.state,
            row.rank == 0,
            *(row.params.get(n) for n in summary.param_names),
            *(row.figures.get(f) for f in figures),
        ]
        for row in summary.rows
    ]
    directory.mkdir(parents=True, exist_ok=True)
    run = wandb.init(project=project, entity=entity, group=summary.study_name, job_type="summary",
                     name=f"{summary.study_name}-summary", mode=mode,  # type: ignore[arg-type]
                     dir=str(directory),
                     config={"objectives": summary.objectives, "directions": summary.directions},
                     settings=wandb.Settings(silent=True))
    try:
        table = wandb.Table(columns=columns, data=data)
        plots: dict[str, Any] = {"trials": table}
        top1 = metrics.TOP1.name
        for axis in metrics.TRADE_OFF_AXES:
            key = f"pareto/{top1.replace('/', '_')}_vs_{axis.name.split('/')[1]}"
            plots[key] = wandb.plot.scatter(table, axis.name, top1,
                                            title=f"{metrics.TOP1.label} vs {axis.label}")
        run.log(plots)
        run.summary.update({"hypervolume": summary.hypervolume,
                            "trials/complete": summary.count("COMPLETE"),
                            "trials/failed": summary.count("FAIL"),
                            "trials/skipped": summary.count("PRUNED"),
                            "trials/pareto": len(summary.front)})
        return str(Path(run.dir).parent)
    finally:
        run.finish()
