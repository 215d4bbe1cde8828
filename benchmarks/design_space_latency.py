"""Batch-1 CPU latency of the design space's points (α × ρ × depth) at the paper's 224·ρ px and
1,000 classes, for ``sweeps/reference/design_space/latency.csv``.

All points are measured in one process, in interleaved rounds (latency drifts between processes
on shared machines, while rounds inside one agree within a few per cent): each figure is the
median over rounds of each round's median, its CV the median of the rounds' CVs. Eager PyTorch,
NCHW, untrained weights (latency does not depend on them), the threads torch chooses. Stop any
other run on the machine meanwhile.

    .venv/bin/python benchmarks/design_space_latency.py --rounds 3 \\
        --out sweeps/reference/design_space
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import platform
import statistics
from pathlib import Path

import torch

from mobisweep.cost.count import count_cost
from mobisweep.latency.measure import measure_latency
from mobisweep.models import MobileNetV1

ALPHAS = (1.0, 0.75, 0.5, 0.25)
RHOS = (1.0, 0.857, 0.714, 0.571)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per round (at least)")
    parser.add_argument("--depths", type=int, nargs="+", default=[5, 2, 0])
    parser.add_argument("--alphas", type=float, nargs="+", default=list(ALPHAS))
    parser.add_argument("--rhos", type=float, nargs="+", default=list(RHOS))
    parser.add_argument("--out", type=Path, default=Path("sweeps/reference/design_space"))
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, batch 1, {args.rounds} rounds")
    keys = list(itertools.product(args.alphas, args.rhos, args.depths))
    models = {k: MobileNetV1(alpha=k[0], depth=k[2]).eval() for k in keys}
    px = {k: round(224 * k[1]) for k in keys}
    rounds: dict[tuple, list] = {k: [] for k in keys}
    for _ in range(args.rounds):
        for k in keys:
            rounds[k].append(measure_latency(models[k], px[k], warmup=5, min_runs=args.runs,
                                             max_runs=5 * args.runs, max_seconds=5.0,
                                             lock_file=None))
    # Columns named as the sweep's parameters and mobisweep's figures: a replay of the table joins
    # them to its points (objectives=[val/acc1,latency_deploy/median_ms]).
    rows = [
        {
            "model.alpha": k[0],
            "data.rho": k[1],
            "model.depth": k[2],
            "config/deploy_resolution": px[k],
            "cost_deploy/mult_adds_M": round(count_cost(models[k], px[k]).mult_adds_M, 3),
            "latency_deploy/median_ms": round(statistics.median(m.median_ms for m in rounds[k]), 3),
            "latency_deploy/cv": round(statistics.median(m.cv for m in rounds[k]), 3),
        }
        for k in keys
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "latency.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    macs, ms = "cost_deploy/mult_adds_M", "latency_deploy/median_ms"
    ordered = sum((a[macs] - b[macs]) * (a[ms] - b[ms]) > 0
                  for a, b in itertools.combinations(rows, 2))
    print(f"{len(rows)} points; latency orders {ordered} of {len(rows) * (len(rows) - 1) // 2} "
          f"pairs as mult-adds do -> {args.out / 'latency.csv'}")


if __name__ == "__main__":
    main()
