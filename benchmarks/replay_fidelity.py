"""Replay fidelity: one real sweep with a stopping rule, then the same sweep replayed on its own
record (``hydra/launcher=replay``). A faithful replay stops the same trials after the same epochs.

Runs ``python -m mobisweep +sweep=<sweep> +hydra/sweeper/pruner=<pruner> <overrides> -m`` into
``<folder>/<name>`` (its trials.csv and curves.csv), replays it with one simulated worker, and
prints each point: the epochs it ran and how it ended, in the real sweep and in the replay.

    .venv/bin/python benchmarks/replay_fidelity.py --folder /tmp/fidelity -- data=digits \\
        trainer.max_epochs=6 latency=none logger=csv
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import optuna

from mobisweep.replay.compare import replay_sweep
from mobisweep.replay.simulator import EPOCHS
from mobisweep.replay.table import RecordedTable


def real_sweep(folder: Path, name: str, sweep: str, pruner: str, overrides: list[str]) -> Path:
    sweep_dir = folder / name
    command = [sys.executable, "-m", "mobisweep", f"+sweep={sweep}",
               f"+hydra/sweeper/pruner={pruner}", f"study_name={name}",
               f"hydra.sweep.dir={sweep_dir}",
               f"hydra.sweeper.storage=sqlite:///{sweep_dir / 'study.db'}", *overrides, "-m"]
    subprocess.run(command, check=True, env={**os.environ, "WANDB_MODE": "offline"},
                   stdout=subprocess.DEVNULL)
    return sweep_dir


def compare(sweep_dir: Path, sweep: str, pruner: str, overrides: list[str]
            ) -> list[dict[str, object]]:
    """Per point: (epochs, state) in the real sweep and in its replay."""
    table = RecordedTable(sweep_dir)
    storage = f"sqlite:///{sweep_dir / 'replay.db'}"
    if (sweep_dir / "replay.db").exists():
        (sweep_dir / "replay.db").unlink()
    replay_sweep(sweep_dir, sweep, [f"+hydra/sweeper/pruner={pruner}",
                                    f"hydra.sweeper.storage={storage}", *overrides],
                 seed=0, workers=1)
    replayed = {json.dumps({k: str(v) for k, v in sorted(t.params.items())}):
                (t.user_attrs.get(EPOCHS), t.state.name)
                for t in optuna.load_study(study_name="replay_0", storage=storage).trials}
    points = []
    for row in table.rows:
        key = json.dumps({k: row[k] for k in sorted(table.params)})
        recorded = table.trial(row)
        points.append({"point": {k: row[k] for k in table.params},
                       "real": (recorded.epochs, row["state"]),
                       "replay": replayed.get(key, (None, "absent"))})
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--name", default="fidelity")
    parser.add_argument("--sweep", default="alpha_rho")
    parser.add_argument("--pruner", default="pareto_halving")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the real sweep")
    args = parser.parse_args()
    sweep_dir = real_sweep(args.folder, args.name, args.sweep, args.pruner, args.overrides)
    # The replay composes the same sweep: the overrides that set its budget, not its data.
    same = [o for o in args.overrides if o.startswith(("trainer.max_epochs", "hydra.sweeper.",
                                                       "objectives"))]
    points = compare(sweep_dir, args.sweep, args.pruner, same)
    agree = sum(p["real"] == p["replay"] for p in points)
    print("| point | real: epochs, end | replay: epochs, end |\n|---|---|---|")
    for p in points:
        shown = ", ".join(f"{k}={v}" for k, v in p["point"].items())
        print(f"| {shown} | {p['real'][0]}, {p['real'][1]} | {p['replay'][0]}, {p['replay'][1]} |")
    print(f"\n{agree} of {len(points)} points ran the same epochs and ended the same way")


if __name__ == "__main__":
    main()
