"""The sweeper's objects, for any Hydra app: search spaces, claims and retries on the Optuna study
and its storage, slots, budgets, stopping rules, what the study records of each trial, and the hook
through which an app tells the sweeper more (``hook``)."""
