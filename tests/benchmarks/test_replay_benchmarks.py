"""The replay benchmarks run in miniature, so that neither rots."""

from __future__ import annotations

import csv
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))


def test_design_space_latency_in_miniature(tmp_path):
    import design_space_latency

    design_space_latency.main(["--rounds", "1", "--runs", "3", "--alphas", "0.25", "--rhos",
                               "0.571", "--depths", "0", "5", "--out", str(tmp_path)])
    with (tmp_path / "latency.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["model.depth"], r["config/deploy_resolution"]) for r in rows] == [("0", "128"),
                                                                                 ("5", "128")]
    assert all(float(r["latency_deploy/median_ms"]) > 0 for r in rows)
    # The five 14x14 layers cost mult-adds: depth 5 counts more than depth 0.
    assert float(rows[1]["cost_deploy/mult_adds_M"]) > float(rows[0]["cost_deploy/mult_adds_M"])


@pytest.mark.slow  # a real sweep; CI runs it (make test-slow)
def test_a_real_sweep_and_its_replay_stop_the_same_trials(tmp_path):
    import replay_fidelity

    overrides = ["data=digits", "data.train_subset=600", "trainer.max_epochs=4", "latency=none",
                 "logger=csv", "model.alpha=0.25,0.5,1.0", "data.rho=0.571,1.0"]
    sweep_dir = replay_fidelity.real_sweep(tmp_path, "fidelity", "alpha_rho", "pareto_halving",
                                           overrides)
    points = replay_fidelity.compare(sweep_dir, "alpha_rho", "pareto_halving",
                                     ["trainer.max_epochs=4", "model.alpha=choice(0.25,0.5,1.0)",
                                      "data.rho=choice(0.571,1.0)"])
    assert len(points) == 6
    assert [p["real"] for p in points] == [p["replay"] for p in points]
