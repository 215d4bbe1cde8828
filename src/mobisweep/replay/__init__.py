"""Sweeps replayed on recorded tables: any sweep config runs through the real sweeper against a
sweep's ``trials.csv`` + ``curves.csv`` instead of training (``hydra/launcher=replay``), each
trial's curve told to its stopper epoch by epoch, each epoch taking its recorded wall seconds on a
simulated clock shared by the sweep's slots. Nothing heavy is imported here."""
