"""mobisweep's Hydra Sweeper over current Optuna (select it with ``hydra/sweeper: mobisweep``)."""
