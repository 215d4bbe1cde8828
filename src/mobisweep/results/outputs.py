"""What a finished sweep leaves: the console summary, ``trials.csv``, the report, W&B's run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig

from mobisweep.config.console import output_console
from mobisweep.config.wandb_mode import wandb_mode
from mobisweep.results.report_page import write_report
from mobisweep.results.summary import summarize_study
from mobisweep.results.table import print_sweep_summary
from mobisweep.results.trials_csv import TRIALS_FILE, write_trials_csv
from mobisweep.results.wandb_summary import log_to_wandb


def finish_sweep(study: optuna.Study, objectives: Sequence[str], sweep_dir: Path,
                 logger_cfg: DictConfig | None, beside: Any = None) -> None:
    """``beside``: what the report shows beside the sweep (``report_page.write_report``)."""
    summary = summarize_study(study, objectives)
    console = output_console()
    print_sweep_summary(summary, console)
    csv_path = write_trials_csv(summary, sweep_dir / TRIALS_FILE)
    report = write_report(summary, sweep_dir, beside=beside)[0]
    console.print(f"trials: {csv_path}\nreport: {report} (and PNGs beside it)")
    if logger_cfg is None or "mode" not in logger_cfg:  # W&B only
        return
    run_dir = log_to_wandb(summary, project=logger_cfg.get("project", "mobisweep"),
                           mode=wandb_mode(logger_cfg.mode), directory=sweep_dir / "summary",
                           entity=logger_cfg.get("entity"))
    if run_dir:
        console.print(f"W&B summary run: {run_dir}")
