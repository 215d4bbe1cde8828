"""A sweep's results: the study summarized (``summary``), its table (``table``), ``trials.csv``
(``trials_csv``), the report (``panels`` drawn by ``report``), W&B's summary run
(``wandb_summary``), the committed reference beside the paper (``reference``), and one way
to name the study to read (``sources``)."""

from mobisweep.results.outputs import finish_sweep
from mobisweep.results.panels import PANELS, Panel, PanelData, panel_data
from mobisweep.results.report import write_report
from mobisweep.results.sources import open_summary, summary_from_csv
from mobisweep.results.summary import (
    REPEAT_KEYS,
    SweepSummary,
    TrialRow,
    mean_sd,
    reference_point,
    repeats,
    summarize_study,
)
from mobisweep.results.table import print_sweep_summary, summary_table
from mobisweep.results.trials_csv import write_trials_csv

__all__ = ["PANELS", "REPEAT_KEYS", "Panel", "PanelData", "SweepSummary", "TrialRow",
           "finish_sweep", "mean_sd", "open_summary", "panel_data", "print_sweep_summary",
           "reference_point", "repeats", "summarize_study", "summary_from_csv", "summary_table",
           "write_report", "write_trials_csv"]
