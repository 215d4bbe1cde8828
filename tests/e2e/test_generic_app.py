"""mobisweep's sweeper on a Hydra app that knows nothing of mobisweep (``tests/apps/sphere``):
what users of Hydra's own Optuna sweeper rely on works the same, and nothing of MobileNet loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml

APP = Path(__file__).parents[1] / "apps" / "sphere" / "sphere.py"


def sweep(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, str(APP), "hydra/sweeper=mobisweep", f"hydra.sweep.dir={tmp_path}",
         f"hydra.sweeper.storage=sqlite:///{tmp_path}/study.db", "hydra.sweeper.study_name=s",
         *args, "-m"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def seen(tmp_path: Path) -> list[list[str]]:
    return [p.read_text().split() for p in sorted(tmp_path.glob("*/seen.txt"))]


def test_one_objective_with_hydras_params_syntax_and_a_sampler_by_name(tmp_path: Path) -> None:
    sweep(tmp_path, "hydra.sweeper.direction=minimize", "hydra.sweeper.n_trials=8",
          "hydra/sweeper/sampler=random", "x=int(interval(-5, 5))",
          "y=tag(log, interval(0.1, 10))", "z=choice(-1, 0, 1)")
    rows = seen(tmp_path)
    assert len(rows) == 8
    for x, y, z, _, heavy in rows:
        assert float(x).is_integer() and -5 <= float(x) <= 5
        assert 0.1 <= float(y) <= 10 and float(z) in (-1, 0, 1)
        assert heavy == "-", f"the sweep of a plain Hydra app loaded {heavy}"
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path}/study.db")
    assert len(study.trials) == 8
    results = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    best = min(study.trials, key=lambda t: t.value)
    assert results["name"] == "optuna"
    assert results["best_value"] == pytest.approx(best.value)
    assert results["best_params"] == best.params
    assert results["best_value"] == pytest.approx(min(
        float(x) ** 2 + float(y) ** 2 + float(z) ** 2 for x, y, z, *_ in rows))


def test_two_objectives_write_the_pareto_solutions(tmp_path: Path) -> None:
    sweep(tmp_path, "two_objectives=true", "hydra.sweeper.direction=[minimize,minimize]",
          "hydra.sweeper.n_trials=10", "hydra/sweeper/sampler=nsgaii", "x=interval(-3.0, 3.0)",
          "y=choice(-1, 0, 1)")
    solutions = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())["solutions"]
    points = [(float(x), float(y)) for x, y, *_ in seen(tmp_path)]
    values = [(x * x + y * y, (x - 2) ** 2 + y * y) for x, y in points]
    front = [v for v in values if not any(w[0] <= v[0] and w[1] <= v[1] and w != v
                                          for w in values)]
    assert sorted(tuple(round(a, 9) for a in s["values"]) for s in solutions) == \
        sorted(tuple(round(a, 9) for a in v) for v in front)


def test_a_grid_by_sampler_name_runs_every_combination_once(tmp_path: Path) -> None:
    sweep(tmp_path, "hydra.sweeper.direction=minimize", "hydra/sweeper/sampler=grid",
          "x=choice(-1, 0, 1)", "y=range(0, 2)")
    assert sorted((float(x), float(y)) for x, y, *_ in seen(tmp_path)) == \
        [(-1, 0), (-1, 1), (0, 0), (0, 1), (1, 0), (1, 1)]
    # Started again, the grid is done: nothing runs twice.
    sweep(tmp_path, "hydra.sweeper.direction=minimize", "hydra/sweeper/sampler=grid",
          "x=choice(-1, 0, 1)", "y=range(0, 2)")
    assert len(seen(tmp_path)) == 6


def test_custom_search_space_suggests_more_params(tmp_path: Path) -> None:
    sweep(tmp_path, "hydra.sweeper.direction=minimize", "hydra.sweeper.n_trials=5",
          "hydra.sweeper.custom_search_space=sphere.extend", "x=interval(-4.0, 4.0)")
    rows = seen(tmp_path)
    assert len(rows) == 5
    assert len({z for _, _, z, *_ in rows}) == 5  # suggested, not the config's z=0
    for x, _, z, *_ in rows:
        assert abs(float(z) - float(x)) <= 1


def test_max_failure_rate_stops_the_sweep_with_the_trials_own_error(tmp_path: Path) -> None:
    args = ("hydra.sweeper.direction=minimize", "hydra.sweeper.n_trials=6", "fail_above=0",
            "x=choice(1, 2)", "hydra.sweeper.max_retries=0")
    stopped = sweep(tmp_path / "stopped", *args, "hydra.sweeper.max_failure_rate=0.0",
                    check=False)
    assert stopped.returncode != 0
    assert "is above 0" in stopped.stderr
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path}/stopped/study.db")
    assert len(study.trials) == 1  # stopped at the first failure
    # null (the default): failures are recorded and the sweep goes on to its end.
    sweep(tmp_path / "on", *args)
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path}/on/study.db")
    assert [t.state.name for t in study.trials] == ["FAIL"] * 6
    refused = sweep(tmp_path / "bad", *args, "hydra.sweeper.max_failure_rate=1.5", check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "mobisweep: error: hydra.sweeper.max_failure_rate=1.5")
