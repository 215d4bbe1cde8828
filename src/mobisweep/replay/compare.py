"""Which search finds the front for least compute? Every method replayed on one recorded table
through the real sweeper (``hydra/launcher=replay``), and Syne Tune's MOASHA through Syne Tune's
own simulator backend on the same table (``mobisweep.replay.moasha``), over replay seeds and worker
counts.

    python -m mobisweep.replay.compare sweeps/reference/design_space --sweep design_space \\
        --seeds 20 --workers 1 4 --out sweeps/reference/design_space/replay

Writes ``runs.csv`` (one row per method, workers and seed), ``summary.csv`` (the medians), and
``hypervolume_vs_compute.png`` into ``--out``, and prints the summary as Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mobisweep.replay.outcome import Outcome

SAMPLER = "hydra.sweeper.sampler._target_=optuna.samplers.{}"
# Each method as the overrides a user would write; "{n}" is the table's number of points and
# "{seed}" the replay seed (the samplers' seed too).
METHODS: dict[str, list[str]] = {
    "grid": [],
    "random": ["hydra.sweeper.grid=false", "hydra.sweeper.n_trials={n}",
               SAMPLER.format("RandomSampler"), "hydra.sweeper.sampler.seed={seed}"],
    "tpe": ["hydra.sweeper.grid=false", "hydra.sweeper.n_trials={n}",
            SAMPLER.format("TPESampler"), "hydra.sweeper.sampler.seed={seed}"],
    "nsga2": ["hydra.sweeper.grid=false", "hydra.sweeper.n_trials={n}",
              SAMPLER.format("NSGAIISampler"), "hydra.sweeper.sampler.seed={seed}"],
    "gp": ["hydra.sweeper.grid=false", "hydra.sweeper.n_trials={n}",
           SAMPLER.format("GPSampler"), "hydra.sweeper.sampler.seed={seed}"],
    "cost_aware": ["+hydra/sweeper/pruner=cost_aware"],
    "pareto_halving": ["+hydra/sweeper/pruner=pareto_halving"],
}
TARGETS = (0.9, 0.95, 0.99)


def replay_sweep(table: Path, sweep: str, method: Sequence[str], *, seed: int, workers: int,
                 extra: Sequence[str] = ()) -> Outcome:
    """One replay through mobisweep's real sweeper, in this process (Hydra's multirun)."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from mobisweep.config.loading import CONFIG_DIR

    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()), \
            initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3",
                                  job_name="mobisweep"):
        overrides = [f"+sweep={sweep}", "hydra/launcher=replay", f"hydra.launcher.table={table}",
                     f"hydra.launcher.seed={seed}", f"hydra.launcher.n_jobs={workers}",
                     "hydra.sweeper.storage=null", f"hydra.sweep.dir={folder}",
                     "hydra/job_logging=disabled", "hydra/hydra_logging=disabled",
                     f"study_name=replay_{seed}", *extra, *method]
        hydra = GlobalHydra.instance().hydra
        assert hydra is not None  # initialized just above
        return hydra.multirun(config_name="config", task_function=_never,
                                                     overrides=overrides)


def _never(cfg: object) -> None:
    raise AssertionError("a replay trains nothing")


def table_facts(table: Path) -> tuple[int, int, list[str]]:
    """The table's number of points, its longest schedule (epochs) and its parameters."""
    from mobisweep.replay.table import RecordedTable

    recorded = RecordedTable(table)
    epochs = max(recorded.trial(r).epochs for r in recorded.rows)
    return len(recorded.points), epochs, recorded.params


def run_all(table: Path, sweep: str, methods: Sequence[str], seeds: int, workers: Sequence[int],
            objectives: Sequence[str], extra: Sequence[str],
            progress: Callable[[str], None]) -> list[dict[str, Any]]:
    from mobisweep.replay.moasha import replay_moasha

    n, epochs, params = table_facts(table)
    extra = [f"trainer.max_epochs={epochs}", f"objectives=[{','.join(objectives)}]",
             # A table of several seeds: each replay draws one per point, the sweep does not.
             *(["++hydra.sweeper.params.seed=null"] if "seed" in params else []),
             # Every objective but top-1 (max) is a cost (min).
             "hydra.sweeper.direction=[" + ",".join(
                 "maximize" if o == "val/acc1" else "minimize" for o in objectives) + "]",
             *extra]
    rows = []
    for name in methods:
        for k in workers:
            started = time.perf_counter()
            for seed in range(seeds):
                if name == "moasha":
                    with contextlib.redirect_stdout(io.StringIO()):  # Syne Tune's own tables
                        found = replay_moasha(table, objectives, seed=seed, workers=k,
                                              max_epochs=epochs)
                else:
                    method = [o.format(n=n, seed=seed) for o in METHODS[name]]
                    found = replay_sweep(table, sweep, method, seed=seed, workers=k, extra=extra)
                rows.append(row(name, k, seed, found))
            progress(f"{name}, {k} worker{'s' if k > 1 else ''}: {seeds} replays in "
                     f"{time.perf_counter() - started:.1f} s")
    return rows


def row(method: str, workers: int, seed: int, found: Outcome) -> dict[str, Any]:
    record: dict[str, Any] = {
        "method": method, "workers": workers, "seed": seed,
        "compute": found.seconds / found.grid_seconds, "macs": found.macs / found.grid_macs,
        "hypervolume": found.hv_share, "oracle": found.oracle_seconds / found.grid_seconds,
        "finished": found.finished, "stopped": found.stopped,
        "curve": ";".join(f"{s / found.grid_seconds:.5f}:{h:.5f}" for s, h in found.curve)}
    for target in TARGETS:
        at = found.seconds_to(target)
        record[f"to_{target:g}"] = "" if at is None else at / found.grid_seconds
    return record


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per method and worker count: medians over the replay seeds. A target a replay never
    reached counts as infinite compute (so a median can be 'never')."""
    out = []
    keys = sorted({(str(r["method"]), int(r["workers"])) for r in rows},
                  key=lambda k: (k[1], list(METHODS).index(k[0]) if k[0] in METHODS else 99))
    for method, workers in keys:
        group = [r for r in rows if r["method"] == method and r["workers"] == workers]
        record: dict[str, Any] = {"method": method, "workers": workers, "replays": len(group)}
        for column in ("compute", "macs", "hypervolume", "oracle"):
            record[column] = statistics.median(float(r[column]) for r in group)
        for target in TARGETS:
            values = [float(r[f"to_{target:g}"]) if r[f"to_{target:g}"] != "" else float("inf")
                      for r in group]
            record[f"to_{target:g}"] = statistics.median(values)
            record[f"reached_{target:g}"] = sum(v != float("inf") for v in values)
        out.append(record)
    return out


def markdown(summary: Sequence[dict[str, Any]]) -> str:
    def share(value: Any) -> str:
        return "never" if value == float("inf") else f"{float(value):.3f}"

    lines = ["| method | workers | compute to 90 % | to 95 % | to 99 % | compute spent | "
             "image-epochs × mult-adds | hypervolume found | oracle |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in summary:
        lines.append(f"| {r['method']} | {r['workers']} | {share(r['to_0.9'])} | "
                     f"{share(r['to_0.95'])} ({r['reached_0.95']}/{r['replays']}) | "
                     f"{share(r['to_0.99'])} | {share(r['compute'])} | {share(r['macs'])} | "
                     f"{float(r['hypervolume']):.4f} | {share(r['oracle'])} |")
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.replay.compare",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("table", type=Path,
                        help="a recorded sweep's folder (trials.csv, curves.csv)")
    parser.add_argument("--sweep", default="alpha_rho", help="the sweep config to replay")
    parser.add_argument("--methods", nargs="+", default=[*METHODS, "moasha"],
                        choices=[*METHODS, "moasha"])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--objectives", nargs="+", default=["val/acc1", "cost/mult_adds_M"])
    parser.add_argument("--out", type=Path, help="folder for runs.csv, summary.csv and the figure")
    parser.add_argument("--override", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="a Hydra override for every replayed sweep")
    args = parser.parse_args(argv)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = run_all(args.table, args.sweep, args.methods, args.seeds, args.workers,
                   args.objectives, args.overrides, lambda line: print(line, file=sys.stderr))
    summary = summarize(rows)
    print(markdown(summary))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        write_csv(args.out / "runs.csv", rows)
        write_csv(args.out / "summary.csv", summary)
        from mobisweep.replay.plots import draw_hypervolume_vs_compute

        draw_hypervolume_vs_compute(rows, args.out / "hypervolume_vs_compute.png",
                                    title=f"{args.table} ({', '.join(args.objectives)})")


if __name__ == "__main__":
    main()
