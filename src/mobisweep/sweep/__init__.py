"""Sweeps over the study: search spaces, the Optuna study and its storage, the pre-flight checks,
the budget, and what the study records of each trial."""
