"""A real sweep with cost-aware early stopping beside the same sweep without it: compute, front.

Runs ``python -m mobisweep +sweep=<sweep> <overrides> -m`` twice, as two studies in one folder:
``<name>_unpruned`` and ``<name>_pruned`` (the same plus ``+hydra/sweeper/pruner=<pruner>``).
Both are grid sweeps with the same seeds, so a trial the pruner lets finish trains exactly as its
unpruned twin; rerunning the script resumes either study. Then, from the two studies alone:

- compute: the trials' wall seconds summed, and image-epochs x mult-adds (epochs as each trial
  reported them: a stopped trial counts the epochs it ran);
- the front: each study's Pareto front (top-1 up, mult-adds down), the hypervolume of the pruned
  study's front as a fraction of the unpruned one's (the same reference point: the unpruned
  study's), and which of the unpruned front's points the pruner stopped.

    .venv/bin/python benchmarks/pruned_sweep.py --name pruning -- data=tiny_imagenet \\
        data.root=../shared/data/tiny-imagenet-200.tar.gz data.classes=20 data.num_classes=20 \\
        data.base_resolution=56 data.train_subset=null data.val_subset=null latency=none \\
        optimizer.lr=0.05 scheduler.warmup_epochs=0.5 trainer.max_epochs=5
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from mobisweep.core import metrics
from mobisweep.core.pareto import hypervolume, pareto_front
from mobisweep.results.summary import hypervolume_origin, reported_curve, summarize_study

DIRECTIONS = ["maximize", "minimize"]


@dataclass(frozen=True)
class Spent:
    trials: int
    stopped: int
    wall_seconds: float
    image_epochs_mult_adds: float  # images x epochs x mult-adds (M)


def run_sweep(folder: Path, study: str, sweep: str, overrides: list[str]) -> None:
    command = [sys.executable, "-m", "mobisweep", f"+sweep={sweep}", f"study_name={study}",
               f"hydra.sweep.dir={folder}/{study}",
               f"hydra.sweeper.storage=sqlite:///{folder.resolve()}/{study}/study.db",
               "logger.mode=offline", *overrides, "-m"]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, env={**os.environ, "WANDB_MODE": "offline"})


def load(folder: Path, study: str) -> optuna.Study:
    return optuna.load_study(study_name=study,
                             storage=f"sqlite:///{folder.resolve()}/{study}/study.db")


def spent(study: optuna.Study, images: int) -> Spent:
    trials = [t for t in study.get_trials() if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    return Spent(
        len(trials),
        sum(t.state == TrialState.PRUNED for t in trials),
        sum((t.datetime_complete - t.datetime_start).total_seconds() for t in trials),
        sum(images * len(reported_curve(t)) * t.user_attrs[metrics.MULT_ADDS.name] for t in trials),
    )


def point(trial: FrozenTrial) -> str:
    return ", ".join(f"{k.split('.')[-1]} {v}" for k, v in sorted(trial.params.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="pruning")
    parser.add_argument("--folder", type=Path, default=Path("sweeps"))
    parser.add_argument("--sweep", default="alpha_rho")
    parser.add_argument("--pruner", default="cost_aware")
    parser.add_argument("--pruner-args", nargs="*", default=[],
                        help="e.g. hydra.sweeper.pruner.margin=0.02")
    parser.add_argument("--compare-only", action="store_true", help="read the two studies only")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    plain, pruned = f"{args.name}_unpruned", f"{args.name}_pruned"
    if not args.compare_only:
        run_sweep(args.folder, plain, args.sweep, args.overrides)
        run_sweep(args.folder, pruned, args.sweep,
                  [*args.overrides, f"+hydra/sweeper/pruner={args.pruner}", *args.pruner_args])
    studies = {name: load(args.folder, name) for name in (plain, pruned)}
    summaries = {name: summarize_study(study, [metrics.TOP1.name, metrics.MULT_ADDS.name])
                 for name, study in studies.items()}
    images = next(int(row.config["train_images"]) for row in summaries[plain].rows if row.config)
    complete = {name: [t for t in s.get_trials() if t.state == TrialState.COMPLETE]
                for name, s in studies.items()}
    values = {name: [t.values for t in trials] for name, trials in complete.items()}
    reference = hypervolume_origin(values[plain], DIRECTIONS)
    volume = {name: hypervolume(v, DIRECTIONS, reference) for name, v in values.items()}
    fronts = {name: [complete[name][i] for i in pareto_front(values[name], DIRECTIONS)]
              for name in studies}
    stopped = {point(t) for t in studies[pruned].get_trials() if t.state == TrialState.PRUNED}
    cost = {name: spent(study, images) for name, study in studies.items()}
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores; sweep {args.sweep}, "
          f"pruner {args.pruner} {' '.join(args.pruner_args)}")
    for name in studies:
        c = cost[name]
        print(f"{name}: {c.trials} trials, {c.stopped} stopped early; wall {c.wall_seconds:.0f} s; "
              f"images x epochs x mult-adds {c.image_epochs_mult_adds:.4g} M; front "
              f"{len(fronts[name])} points; hypervolume {volume[name]:.4f}")
    print(f"pruned / unpruned: wall {cost[pruned].wall_seconds / cost[plain].wall_seconds:.3f}, "
          f"compute {cost[pruned].image_epochs_mult_adds / cost[plain].image_epochs_mult_adds:.3f}"
          f", hypervolume {volume[pruned] / volume[plain]:.4f}")
    lost = [point(t) for t in fronts[plain] if point(t) in stopped]
    print(f"unpruned front points stopped by the pruner: {len(lost)} of {len(fronts[plain])}"
          + (f" ({'; '.join(lost)})" if lost else ""))
    for t in studies[pruned].get_trials():
        if t.state == TrialState.PRUNED:
            print(f"  stopped #{t.number} ({point(t)}): {t.user_attrs.get('skipped', '')}")


if __name__ == "__main__":
    main()
