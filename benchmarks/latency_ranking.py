"""Do a sweep's latencies rank? The default ``+sweep=alpha_rho`` sweep's 16 points, timed twice in
each of two ways, each time in fresh processes, with the latency settings a trial uses:

- ``per-trial`` (before): each point in a process of its own, as each trial measured itself after
  training (``measure_latencies``: rounds of ``min_runs`` until the CV is below ``target_cv``);
- ``side-by-side`` (after): all 16 in one process, in interleaved rounds, as the sweep's pre-flight
  times them (``mobisweep.latency.side_by_side``).

Prints each way's two passes, their Spearman rank correlation and how many figures are flagged
noisy; writes ``<out>/latency_ranking.csv``. Stop other work on the machine meanwhile.

    .venv/bin/python benchmarks/latency_ranking.py --out benchmarks/results
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

from scipy.stats import spearmanr

from mobisweep.config.loading import load_config

ALPHAS = (1.0, 0.75, 0.5, 0.25)
RHOS = (1.0, 0.857, 0.714, 0.571)
POINTS = list(itertools.product(ALPHAS, RHOS))


def point_config(alpha: float, rho: float, extra: list[str]):
    return load_config(["+sweep=alpha_rho", f"model.alpha={alpha}", f"data.rho={rho}",
                        "trial_number=0", *extra])


def one_point(alpha: float, rho: float, extra: list[str]) -> dict:
    """What a trial measured of itself: one point, alone in this process."""
    from mobisweep.latency.measure import measure_latencies
    from mobisweep.train.assembly import assemble

    cfg = point_config(alpha, rho, extra)
    figures = measure_latencies(assemble(cfg).model, cfg)
    return {k: figures[f"latency/{k}"] for k in ("median_ms", "cv", "noisy")}


def side_by_side(points: list[tuple[float, float]], extra: list[str]) -> list[dict]:
    """The pre-flight's pass: all 16 points in this one process."""
    from mobisweep.latency.side_by_side import configured_settings, measure_side_by_side
    from mobisweep.train.assembly import assemble

    cfgs = [point_config(alpha, rho, extra) for alpha, rho in points]
    networks = [(assemble(cfg).model, int(cfg.data.resolution)) for cfg in cfgs]
    measured = measure_side_by_side(networks, **configured_settings(cfgs[0].latency))
    return [{"median_ms": m.median_ms, "cv": m.cv, "noisy": m.noisy} for m in measured]


def in_child(*args: str) -> object:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--points", type=int, default=len(POINTS),
                        help="the first N points only (a miniature: the test suite's)")
    parser.add_argument("--one", nargs=2, type=float, help=argparse.SUPPRESS)
    parser.add_argument("--pass-side-by-side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. latency.threads=1")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_point(*args.one, args.overrides)))
        return
    points = POINTS[:args.points]
    if args.pass_side_by_side:
        print(json.dumps(side_by_side(points, args.overrides)))
        return
    rows, passes = [], {}
    for way in ("per-trial", "side-by-side"):
        for index in range(2):
            began = time.perf_counter()
            if way == "per-trial":
                figures = [in_child("--one", str(a), str(r), *args.overrides) for a, r in points]
            else:
                figures = in_child("--pass-side-by-side", f"--points={args.points}",
                                   *args.overrides)
            seconds = time.perf_counter() - began
            passes[way, index] = figures
            print(f"{way} pass {index + 1}: {seconds:.0f} s, "
                  f"{sum(f['noisy'] for f in figures)} of {len(points)} noisy", flush=True)
            rows += [{"way": way, "pass": index + 1, "model.alpha": a, "data.rho": r,
                      "latency/median_ms": round(f["median_ms"], 4),
                      "latency/cv": round(f["cv"], 4), "latency/noisy": f["noisy"]}
                     for (a, r), f in zip(points, figures)]
    print("\n| α | ρ | per-trial 1 | per-trial 2 | side-by-side 1 | side-by-side 2 |")
    print("|---|---|---|---|---|---|")
    for i, (a, r) in enumerate(points):
        cells = [
            f"{passes[w, p][i]['median_ms']:.2f}{' (noisy)' if passes[w, p][i]['noisy'] else ''}"
            for w in ("per-trial", "side-by-side")
            for p in range(2)
        ]
        print(f"| {a} | {r} | " + " | ".join(cells) + " |")
    for way in ("per-trial", "side-by-side"):
        rho, _ = spearmanr([f["median_ms"] for f in passes[way, 0]],
                           [f["median_ms"] for f in passes[way, 1]])
        print(f"{way}: Spearman between passes 1 and 2: {rho:.3f}")
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "latency_ranking.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
