"""Sweeps over the study: search spaces, the Optuna study, and the end-of-sweep summary."""
