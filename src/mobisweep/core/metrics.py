"""The figures a trial measures, defined once: name, unit, direction and where each comes from.

Validation of ``objectives``, sweep budgets, the summary table, ``trials.csv``, the report, W&B and
optuna-dashboard all read this table; no other module spells a figure's name. (The training loop
logs the validation figures as ``f"{split}/acc{k}"`` and ``f"{split}/loss"``: Lightning's keys,
which these names match.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure of a trial."""

    name: str  # its key in result.json, trials.csv, W&B and the study
    label: str  # how a table or an axis names it
    unit: str  # "%" figures are stored as fractions and shown x100
    direction: str  # "maximize" or "minimize": which way is better
    # validation | cost (from the config alone, before training) | training | latency (a sweep's
    # side-by-side figure, or a single run's own) | trial latency (a sweep trial's own)
    source: str
    objective: bool = True  # a sweep may optimize it
    budget: str | None = None  # its key under ``sweep.budget`` (figures known before training)
    digits: int = 2  # decimals in tables

    def shown(self, value: float | None) -> str:
        """The value as a table shows it (percent for fractions), ``""`` when absent."""
        if value is None:
            return ""
        return f"{100 * value:.{self.digits}f}" if self.unit == "%" else f"{value:,.{self.digits}f}"


TOP1 = Figure("val/acc1", "top-1", "%", "maximize", "validation")
TOP5 = Figure("val/acc5", "top-5", "%", "maximize", "validation")
VAL_LOSS = Figure("val/loss", "validation loss", "", "minimize", "validation", digits=4)
MULT_ADDS = Figure("cost/mult_adds_M", "mult-adds", "M", "minimize", "cost", budget="mult_adds_M")
PARAMS = Figure("cost/params_M", "parameters", "M", "minimize", "cost", budget="params_M", digits=3)
PARAMS_ALL = Figure("cost/params_all_M", "parameters with BatchNorm's", "M", "minimize", "cost",
                    objective=False, digits=3)
IMAGES_PER_S = Figure("train/images_per_s", "training images/s", "img/s", "maximize", "training",
                      digits=0)
TRAIN_SECONDS = Figure("train/seconds", "training seconds", "s", "minimize", "training",
                       objective=False, digits=0)
# Wall seconds of one epoch, training and validation together: what a replay's simulated clock
# advances by for that epoch.
EPOCH_SECONDS = Figure("epoch/seconds", "epoch wall seconds", "s", "minimize", "training",
                       objective=False, digits=1)
LATENCY = Figure("latency/median_ms", "median latency", "ms", "minimize", "latency",
                 budget="latency_ms")
LATENCY_P90 = Figure("latency/p90_ms", "p90 latency", "ms", "minimize", "latency")
LATENCY_CV = Figure("latency/cv", "latency CV", "", "minimize", "latency", objective=False,
                    digits=3)
LATENCY_IQR = Figure("latency/iqr_ms", "latency IQR", "ms", "minimize", "latency", objective=False)
# True where the spread never settled below latency.target_cv: the median is not to be trusted.
LATENCY_NOISY = Figure("latency/noisy", "latency noisy", "", "minimize", "latency", objective=False)
# The same network measured at ``latency.resolution`` (the deployment's input size).
DEPLOY_PREFIX = "latency_deploy/"
DEPLOY_LATENCY = Figure(f"{DEPLOY_PREFIX}median_ms", "median latency at latency.resolution", "ms",
                        "minimize", "latency", budget="deploy_latency_ms")
DEPLOY_LATENCY_CV = Figure(f"{DEPLOY_PREFIX}cv", "latency CV at latency.resolution", "",
                           "minimize", "latency", objective=False, digits=3)
# A sweep's trial: its own measurement, taken in its own process after training (latency/* and
# latency_deploy/* are then the pre-flight's side-by-side figures; mobisweep.latency.side_by_side).
TRIAL_PREFIX = "latency_trial/"
TRIAL_DEPLOY_PREFIX = "latency_trial_deploy/"
TRIAL_LATENCY = Figure(f"{TRIAL_PREFIX}median_ms", "median latency in the trial's own process",
                       "ms", "minimize", "trial latency", objective=False)
TRIAL_LATENCY_CV = Figure(f"{TRIAL_PREFIX}cv", "latency CV in the trial's own process", "",
                          "minimize", "trial latency", objective=False, digits=3)
TRIAL_DEPLOY_LATENCY = Figure(f"{TRIAL_DEPLOY_PREFIX}median_ms",
                              "median latency at latency.resolution in the trial's own process",
                              "ms", "minimize", "trial latency", objective=False)

FIGURES = (TOP1, TOP5, VAL_LOSS, MULT_ADDS, PARAMS, PARAMS_ALL, IMAGES_PER_S, TRAIN_SECONDS,
           EPOCH_SECONDS,
           LATENCY, LATENCY_P90, LATENCY_CV, LATENCY_IQR, LATENCY_NOISY, DEPLOY_LATENCY,
           DEPLOY_LATENCY_CV, TRIAL_LATENCY, TRIAL_LATENCY_CV, TRIAL_DEPLOY_LATENCY)
BY_NAME = {figure.name: figure for figure in FIGURES}
# What a trial can return to a sweeper (every one is in result.json's metrics).
OBJECTIVES = tuple(figure.name for figure in FIGURES if figure.objective)
# Figures known from the config alone: a sweep can skip points over a budget without training them.
BUDGETS = {figure.budget: figure for figure in FIGURES if figure.budget}
COST = tuple(figure for figure in FIGURES if figure.source == "cost")
# Per epoch of training: the learning curve kept in result.json and curves.csv.
CURVES = (TOP1, TOP5, VAL_LOSS, EPOCH_SECONDS)
# Each trial's row in the summary, trials.csv, the report and W&B's table.
SUMMARY = (TOP1, TOP5, MULT_ADDS, PARAMS, LATENCY, LATENCY_CV, IMAGES_PER_S, LATENCY_IQR,
           LATENCY_NOISY, DEPLOY_LATENCY, DEPLOY_LATENCY_CV)
# The cost axes of the trade-off plots (top-1 against each).
TRADE_OFF_AXES = (MULT_ADDS, PARAMS, LATENCY)
LATENCY_PREFIX = "latency/"  # every figure of a latency measurement is logged under it
# What a trial keeps from Lightning's logged metrics (the rest are per-step values).
LOGGED_PREFIXES = ("val/", IMAGES_PER_S.name, TRAIN_SECONDS.name)
# Summary of a point measured over several seeds (trials.csv columns).
TOP1_MEAN, TOP1_SD = f"{TOP1.name}_mean", f"{TOP1.name}_sd"


def is_latency(name: str) -> bool:
    return name.startswith((LATENCY_PREFIX, DEPLOY_PREFIX))
