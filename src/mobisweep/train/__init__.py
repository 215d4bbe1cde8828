"""One trial: assembled and checked (``assembly``), trained by Lightning (``run``,
``lightning_module``, ``callbacks``, ``schedules``), sharing cores (``core_share``), tracked
(``tracking``), stopped by signals (``signals``), leaving its files (``trial_folder``); and what
mobisweep hands the sweeper about its trials (``sweep_hook``, ``point_costs``)."""
