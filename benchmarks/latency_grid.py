"""The 16 alpha x rho MobileNets at the paper's 224/192/160/128 px: measured batch-1 CPU latency
(eager PyTorch and ONNX Runtime) beside mult-adds, and the pairs whose latency order disagrees with
their mult-adds order (the paper uses mult-adds as a proxy for latency: where does it fail here?).

Interleaved rounds in one process (latency drifts between processes on shared machines): each
figure is the median over rounds of each round's median, its CV the median of the rounds' CVs.
Writes ``<out>/latency.csv`` and prints the table and the pairs as Markdown.

    .venv/bin/python benchmarks/latency_grid.py --rounds 3 --out sweeps/reference/latency
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
PIXELS = (224, 192, 160, 128)
BACKENDS = ("eager", "onnxruntime")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per round (at least)")
    parser.add_argument("--out", type=Path, default=Path("sweeps/reference/latency"))
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, batch 1, {args.rounds} rounds\n")
    models = {(a, px): MobileNetV1(alpha=a).eval() for a in ALPHAS for px in PIXELS}
    mult_adds = {key: count_cost(model, key[1]).mult_adds_M for key, model in models.items()}
    rounds: dict[tuple, list] = {(key, b): [] for key in models for b in BACKENDS}
    for _ in range(args.rounds):
        for (key, model), backend in itertools.product(models.items(), BACKENDS):
            rounds[(key, backend)].append(measure_latency(
                model, key[1], backend=backend, warmup=5, min_runs=args.runs,
                max_runs=5 * args.runs, max_seconds=5.0, lock_file=None))
    rows = []
    for key in models:
        row = {"alpha": key[0], "resolution": key[1], "mult_adds_M": round(mult_adds[key], 2)}
        for backend in BACKENDS:
            done = rounds[(key, backend)]
            row[f"{backend}_median_ms"] = round(statistics.median(m.median_ms for m in done), 3)
            row[f"{backend}_cv"] = round(statistics.median(m.cv for m in done), 3)
        rows.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "latency.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("| α | px | M mult-adds | eager ms (CV) | ONNX Runtime ms (CV) |\n|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: -r["mult_adds_M"]):
        print(f"| {r['alpha']} | {r['resolution']} | {r['mult_adds_M']:.1f} | "
              f"{r['eager_median_ms']:.2f} ({r['eager_cv']:.3f}) | "
              f"{r['onnxruntime_median_ms']:.2f} ({r['onnxruntime_cv']:.3f}) |")
    for backend in BACKENDS:
        key = f"{backend}_median_ms"
        pairs = [(a, b) for a, b in itertools.combinations(rows, 2)
                 if (a["mult_adds_M"] - b["mult_adds_M"]) * (a[key] - b[key]) < 0]
        print(f"\n{backend}: {len(pairs)} of {len(rows) * (len(rows) - 1) // 2} pairs order "
              f"latency against mult-adds:")
        for a, b in sorted(pairs, key=lambda p: -abs(p[0][key] - p[1][key])):
            cheap, dear = (a, b) if a["mult_adds_M"] < b["mult_adds_M"] else (b, a)
            print(f"- {cheap['alpha']}-{cheap['resolution']} ({cheap['mult_adds_M']:.1f} M) takes "
                  f"{cheap[key]:.2f} ms, {dear['alpha']}-{dear['resolution']} "
                  f"({dear['mult_adds_M']:.1f} M) {dear[key]:.2f} ms")


if __name__ == "__main__":
    main()
