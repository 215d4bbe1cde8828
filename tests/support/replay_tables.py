"""Recorded tables made in the tests: trials.csv and curves.csv of a synthetic alpha x rho (x depth)
grid, whose curves and epoch seconds follow simple rules, so that each test knows the answer."""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

ALPHAS, RHOS = (1.0, 0.75, 0.5, 0.25), (1.0, 0.857, 0.714, 0.571)


def mult_adds(alpha: float, rho: float, depth: int = 5) -> float:
    return 50.0 * alpha ** 2 * rho ** 2 * (0.7 + 0.06 * depth)


def final_top1(alpha: float, rho: float, depth: int = 5) -> float:
    # Log-linear in mult-adds, as the paper's Figure 4; the shallow network a little better.
    return 0.10 + 0.06 * math.log(mult_adds(alpha, rho, depth)) - 0.004 * depth


def write_table(folder: Path, epochs: int = 6, seeds: Sequence[int] = (0,),
                depths: Sequence[int] | None = None, crossing: bool = False) -> Path:
    """A grid over alpha x rho (x depth) x seed. top-1 rises to its final value as 1 - exp(-e/2);
    with ``crossing``, the dearer half starts slower (its curves cross the cheaper ones late).
    An epoch takes seconds proportional to mult-adds."""
    folder.mkdir(parents=True, exist_ok=True)
    params = ["seed", *(["model.depth"] if depths else []), "model.alpha", "data.rho"]
    trials, curves = [], []
    grid = itertools.product(seeds, depths or [None], ALPHAS, RHOS)
    for number, (seed, depth, alpha, rho) in enumerate(grid):
        d = 5 if depth is None else depth
        cost = mult_adds(alpha, rho, d)
        final = final_top1(alpha, rho, d) + 0.003 * seed
        slow = 4.0 if crossing and cost > 20 else 2.0
        top1 = [final * (1 - math.exp(-(e + 1) / slow)) / (1 - math.exp(-epochs / slow))
                for e in range(epochs)]
        row = {"number": number, "state": "COMPLETE", "seed": seed, "model.alpha": alpha,
               "data.rho": rho, "val/acc1": top1[-1], "cost/mult_adds_M": cost,
               "cost/params_M": alpha ** 2, "config/train_images": 1000,
               "wall_seconds": 0.5 * cost * epochs}
        if depth is not None:
            row["model.depth"] = depth
        trials.append(row)
        curves += [{"number": number, "epoch": e, "val/acc1": v, "epoch/seconds": 0.5 * cost}
                   for e, v in enumerate(top1)]
    columns = ["number", "state", *params, "val/acc1", "cost/mult_adds_M", "cost/params_M",
               "config/train_images", "wall_seconds"]
    for name, rows, header in (("trials.csv", trials, columns),
                               ("curves.csv", curves, ["number", "epoch", "val/acc1",
                                                       "epoch/seconds"])):
        with (folder / name).open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    return folder
