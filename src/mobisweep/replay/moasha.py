"""Syne Tune's MOASHA on a recorded table, through Syne Tune's own simulator backend: their code,
fed the same table, seed draws and worker count as a mobisweep replay, measured the same way.

The table becomes a ``BlackboxTabular`` of one seed (the replay's draw per point) whose fidelity is
the epoch, with objectives ``error`` (1 - top-1), each cost objective, and ``elapsed_time`` (the
recorded seconds, cumulative). MOASHA samples points from the choices, stops by non-dominated
rank at its rungs, and runs until its workers have spent the whole grid's compute.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.replay.outcome import Outcome, image_epoch_macs, measured, whole_table
from mobisweep.replay.simulator import objectives_of
from mobisweep.replay.table import RecordedTable


def _value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def replay_moasha(table_folder: Path, objectives: Sequence[str], *, seed: int, workers: int,
                  max_epochs: int, reduction_factor: float = 3, grace_period: int = 1) -> Outcome:
    import numpy as np
    import pandas as pd
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.config_space import choice, randint
    from syne_tune.optimizer.schedulers.multiobjective.moasha import MOASHA

    for name in ("syne_tune", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)
    table = RecordedTable(table_folder)
    directions = ["maximize" if o == metrics.TOP1.name else "minimize" for o in objectives]
    whole = whole_table(table, objectives, directions, seed)
    names = [k for k in table.points[0]]
    points = [{k: _value(v) for k, v in point.items()} for point in table.points]
    costs = [o for o in objectives if o != metrics.TOP1.name]
    columns = ["error", *(f"cost{i}" for i in range(len(costs))), "elapsed_time"]
    evaluations = np.zeros((len(points), 1, max_epochs, len(columns)))
    for i, recorded in enumerate(whole.drawn):
        if recorded.epochs != max_epochs:
            raise ValueError(f"recorded trial {recorded.number} ran {recorded.epochs} epochs, "
                             f"not {max_epochs}")
        values = objectives_of(recorded, costs)
        for e in range(max_epochs):
            evaluations[i, 0, e] = [1 - recorded.top1[e], *(values[c] for c in costs),
                                    sum(recorded.seconds[: e + 1])]
    space = {k: choice(sorted({p[k] for p in points}, key=str)) for k in names}
    blackbox = BlackboxTabular(hyperparameters=pd.DataFrame(points, columns=names),
                               configuration_space=space,
                               fidelity_space={"epoch": randint(1, max_epochs)},
                               objectives_evaluations=evaluations,
                               fidelity_values=np.arange(1, max_epochs + 1),
                               objectives_names=columns)
    scheduler = MOASHA(config_space=space, metrics=columns[:-1], do_minimize=True,
                       time_attr="epoch", max_t=max_epochs, grace_period=grace_period,
                       reduction_factor=reduction_factor, random_seed=seed)
    callback = SimulatorCallback()
    with tempfile.TemporaryDirectory() as folder:
        previous = os.environ.get("SYNETUNE_FOLDER")
        os.environ["SYNETUNE_FOLDER"] = folder
        try:
            Tuner(trial_backend=UserBlackboxBackend(blackbox=blackbox,
                                                    elapsed_time_attr="elapsed_time", seed=0),
                  scheduler=scheduler,
                  # Until the workers have spent what the whole grid costs.
                  stop_criterion=StoppingCriterion(max_wallclock_time=whole.seconds / workers),
                  n_workers=workers, sleep_time=0, callbacks=[callback], save_tuner=False,
                  results_update_interval=1e9, print_update_interval=1e9,
                  tuner_name=f"moasha-{seed}").run()
        finally:
            if previous is None:
                os.environ.pop("SYNETUNE_FOLDER", None)
            else:
                os.environ["SYNETUNE_FOLDER"] = previous
    results = callback.dataframe()
    spans, finishes, macs, stopped = [], [], 0.0, 0
    by_point = {tuple(str(p[k]) for k in names): i for i, p in enumerate(points)}
    for _, trial in results.groupby("trial_id"):
        trial = trial.sort_values("epoch")
        first, last = trial.iloc[0], trial.iloc[-1]
        start = float(first["st_tuner_time"]) - float(first["elapsed_time"])
        end = float(last["st_tuner_time"])
        spans.append((start, end))
        recorded = whole.drawn[by_point[tuple(str(_value(str(last[f"config_{k}"])))
                                              for k in names)]]
        epochs = int(last["epoch"])
        macs += image_epoch_macs(recorded, epochs)
        if epochs >= max_epochs:
            finishes.append((end, list(objectives_of(recorded, objectives).values())))
        else:
            stopped += 1
    return measured(whole, spans, macs, finishes, stopped)
