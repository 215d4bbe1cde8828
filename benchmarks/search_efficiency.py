"""How many trials NSGA-II, TPE and random search need to find the alpha x rho grid's Pareto front.

A lookup, no training: the 16 recorded results of a grid sweep (`trials.csv`, default the
committed reference sweep) are the objective. Each sampler searches the same 4 x 4 categorical
space (top-1 up, mult-adds down) until the hypervolume of what it found reaches 95 % and 100 % of
the whole grid's (reference point: mobisweep's rule, 10 % beyond the worst of each objective).
A repeated point counts as a trial, as it would cost one in a real sweep. Medians over seeds;
the exhaustive grid needs 16 by construction.

    .venv/bin/python benchmarks/search_efficiency.py --seeds 20
"""

from __future__ import annotations

import argparse
import csv
import math
import platform
import statistics
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.distributions import CategoricalDistribution

from mobisweep.core.pareto import hypervolume
from mobisweep.results.summary import hypervolume_origin

REPO = Path(__file__).resolve().parents[1]
DIRECTIONS = ["maximize", "minimize"]
SAMPLERS: dict[str, Callable[[int], optuna.samplers.BaseSampler]] = {
    # A population of 8 (half the grid): Optuna's default of 50 would be random search here.
    "NSGA-II": lambda seed: optuna.samplers.NSGAIISampler(seed=seed, population_size=8),
    "TPE": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}


def load_grid(path: Path) -> dict[tuple[float, float], tuple[float, float]]:
    with path.open() as stream:
        rows = [r for r in csv.DictReader(stream) if r["state"] == "COMPLETE"]
    grid = {(float(r["model.alpha"]), float(r["data.rho"])):
            (float(r["val/acc1"]), float(r["cost/mult_adds_M"])) for r in rows}
    if len(grid) != 16:
        raise SystemExit(f"{path}: {len(grid)} complete grid points, not 16")
    return grid


def trials_to_reach(sampler: optuna.samplers.BaseSampler,
                    grid: dict[tuple[float, float], tuple[float, float]],
                    targets: list[float], reference: list[float], budget: int) -> list[float]:
    """Trials until the found hypervolume reaches each target (inf if not within ``budget``)."""
    space = {"model.alpha": CategoricalDistribution(sorted({a for a, _ in grid})),
             "data.rho": CategoricalDistribution(sorted({r for _, r in grid}))}
    study = optuna.create_study(directions=DIRECTIONS, sampler=sampler)
    found, reached = [], [math.inf] * len(targets)
    for n in range(1, budget + 1):
        trial = study.ask(space)
        values = grid[(trial.params["model.alpha"], trial.params["data.rho"])]
        study.tell(trial, values)
        found.append(values)
        volume = hypervolume(found, DIRECTIONS, reference)
        for k, target in enumerate(targets):
            if reached[k] == math.inf and volume >= target * (1 - 1e-12):
                reached[k] = n
        if all(r < math.inf for r in reached):
            break
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials_csv", nargs="?", type=Path,
                        default=REPO / "sweeps/reference/alpha_rho/trials.csv")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=64, help="trials before giving up")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grid = load_grid(args.trials_csv)
    reference = hypervolume_origin(list(grid.values()), DIRECTIONS)
    full = hypervolume(list(grid.values()), DIRECTIONS, reference)
    fractions = [0.95, 1.0]
    print(f"machine: {platform.machine()}, optuna {optuna.__version__}; grid {args.trials_csv} "
          f"(hypervolume {full:.3f}), {args.seeds} seeds, budget {args.budget} trials")
    print(f"{'sampler':8s} {'95 % HV':>16s} {'100 % HV':>16s}   (median trials [min-max]; "
          f"'>{args.budget}': not reached)")
    for name, make in SAMPLERS.items():
        runs = [trials_to_reach(make(seed), grid, [f * full for f in fractions], reference,
                                args.budget) for seed in range(args.seeds)]
        cells = []
        for k in range(len(fractions)):
            column = [r[k] for r in runs]
            median = statistics.median(column)
            text = f">{args.budget}" if median == math.inf else f"{median:g}"
            high = max(column)
            top = f">{args.budget}" if high == math.inf else f"{high:g}"
            cells.append(f"{text} [{min(column):g}-{top}]")
        print(f"{name:8s} {cells[0]:>16s} {cells[1]:>16s}")
    print(f"{'grid':8s} {'16':>16s} {'16':>16s}   (exhaustive)")


if __name__ == "__main__":
    main()
