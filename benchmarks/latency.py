"""Batch-1 CPU latency: mobisweep's MobileNet vs timm's mobilenetv1_100, and the three backends.

Every configuration is measured in interleaved rounds inside this one process (latency drifts
between processes on shared machines); the figures are medians over rounds of each round's median.

    .venv/bin/python benchmarks/latency.py --rounds 5 --resolution 224
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics

import timm
import torch

from mobisweep.latency.measure import measure_latency
from mobisweep.models import MobileNetV1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--runs", type=int, default=100, help="timed runs per round")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, batch 1, {args.resolution} px")

    ours, theirs = MobileNetV1(), timm.create_model("mobilenetv1_100", pretrained=False)
    configs = {
        "mobisweep eager": (ours, "eager"),
        "timm eager": (theirs, "eager"),
        "mobisweep channels_last": (ours, "channels_last"),
        "timm channels_last": (theirs, "channels_last"),
        "mobisweep onnxruntime": (ours, "onnxruntime"),
    }
    medians: dict[str, list[float]] = {name: [] for name in configs}
    cvs: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, (model, backend) in configs.items():
            result = measure_latency(model, args.resolution, backend=backend, min_runs=args.runs,
                                     max_runs=args.runs, lock_file=None)
            medians[name].append(result.median_ms)
            cvs[name].append(result.cv)
    summary = {name: statistics.median(values) for name, values in medians.items()}
    for name, value in summary.items():
        rounds = ", ".join(f"{v:.2f}" for v in medians[name])
        print(f"{name:26s} {value:7.2f} ms  median CV {statistics.median(cvs[name]):.3f}  "
              f"(rounds: {rounds})")
    for layout in ("eager", "channels_last"):
        ratio = summary[f"mobisweep {layout}"] / summary[f"timm {layout}"]
        print(f"ratio mobisweep / timm ({layout}) = {ratio:.3f}  (<= 1: mobisweep no slower)")
    base = summary["mobisweep eager"]
    for backend in ("channels_last", "onnxruntime"):
        print(f"speed-up of {backend} over eager = {base / summary[f'mobisweep {backend}']:.2f}x")


if __name__ == "__main__":
    main()
