"""The committed reference sweeps (sweeps/reference/<sweep>/trials.csv) agree with mobisweep's own
cost accounting: every trial's mult-adds and params are recounted from its config, so the record
cannot drift from the code that produced it."""

from __future__ import annotations

import csv
import math

import pytest

from mobisweep.config import load_config
from mobisweep.models.factory import build_model_with_cost

from .conftest import REPO

REFERENCE = REPO / "sweeps" / "reference"
SWEEPS = ["alpha_rho", "thin_vs_shallow", "dw_vs_full", "baselines"]


def overrides(row: dict[str, str]) -> list[str]:
    """The trial's parameters as Hydra overrides (``model`` is a config group choice)."""
    skip = {"number", "state", "pareto_rank", "note", "result_path"}
    return [f"{key}={value}" for key, value in row.items()
            if key not in skip and "/" not in key and value != ""]


@pytest.mark.parametrize("sweep", SWEEPS)
def test_reference_trials_agree_with_the_cost_accounting(sweep):
    path = REFERENCE / sweep / "trials.csv"
    assert path.is_file(), f"{path} is missing: make reference-{sweep}"
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    complete = [r for r in rows if r["state"] == "COMPLETE"]
    assert complete, f"{path}: no complete trial"
    for row in complete:
        cfg = load_config([f"+sweep={sweep}", *overrides(row)])
        _, cost = build_model_with_cost(cfg)
        assert math.isclose(float(row["cost/mult_adds_M"]), cost.mult_adds_M, rel_tol=1e-9), row
        assert math.isclose(float(row["cost/params_M"]), cost.params_M, rel_tol=1e-9), row
        assert 0 < float(row["val/acc1"]) <= 1


def test_alpha_rho_reference_holds_the_whole_grid():
    with (REFERENCE / "alpha_rho" / "trials.csv").open() as stream:
        rows = [r for r in csv.DictReader(stream) if r["state"] == "COMPLETE"]
    points = {(float(r["model.alpha"]), float(r["data.rho"])) for r in rows}
    assert points == {(a, r) for a in (1.0, 0.75, 0.5, 0.25) for r in (1.0, 0.857, 0.714, 0.571)}
