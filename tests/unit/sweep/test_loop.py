"""One worker's sweep loop (``mobisweep.sweep.loop.SweepLoop``): claim, launch, collect, stop, on an
in-memory study with real slots over a launcher that only waits; no process is started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig, OmegaConf
from optuna.trial import TrialState

from mobisweep.sweep.budget import Budget
from mobisweep.sweep.hook import PointFigures
from mobisweep.sweep.loop import LoopSettings, SweepLoop
from mobisweep.sweep.recorder import Recorder
from mobisweep.sweep.slots import Slots
from mobisweep.sweep.space import parse_search_space
from mobisweep.sweep.trial_attrs import OUTPUT_DIR, OVERRIDES, SKIPPED
from mobisweep.sweep.workers import Heartbeat

from .helpers import job_return, memory_study
from .test_slots import Sleeper


class Failing(Sleeper):
    """``sleep=-1`` is a job that raises (the trial's own failure, not the launcher's)."""

    def launch(self, job_overrides, initial_job_idx):
        if "sleep=-1" in job_overrides[0]:
            return [job_return(error=ValueError("the trial diverged"))]
        return super().launch(job_overrides, initial_job_idx)


class Costs(PointFigures):
    def of(self, point: dict[str, Any], cfg: DictConfig, latency: bool = False) -> dict:
        return {"cost/mult_adds_M": abs(point["sleep"]) * 1000}


def compose(overrides: list[str]) -> DictConfig:
    return OmegaConf.create({"hydra": {"sweep": {"subdir": "job_${hydra.job.num}"},
                                       "job": {"num": None}}})


def run(tmp_path: Path, values: str, n_slots: int = 2, max_retries: int = 1,
        max_failure_rate: float | None = None, budget: Budget | None = None):
    study = memory_study()
    space = parse_search_space({"sleep": f"choice({values})"})
    settings = LoopSettings(grid=True, n_trials=1, max_retries=max_retries, heartbeat_interval=1,
                            grace_period=2, wait_for_running=False,
                            max_failure_rate=max_failure_rate)
    with Heartbeat(study, 1) as heartbeat:
        SweepLoop(study=study, storage=None, storage_url=None, study_name="s", space=space,
                  settings=settings, slots=Slots(Failing(), n_slots), recorder=Recorder(study, 1),
                  heartbeat=heartbeat, compose=compose, costs=Costs(),
                  budget=budget or Budget(), sweep_dir=tmp_path, worker="here:1",
                  detects_dead=False).run()
    return study


def test_every_point_runs_once_in_the_slots(tmp_path) -> None:
    study = run(tmp_path, "0.05, 0.01, 0.02, 0.03")
    trials = study.get_trials()
    assert sorted(t.value for t in trials) == [0.01, 0.02, 0.03, 0.05]
    assert all(t.state == TrialState.COMPLETE for t in trials)
    dirs = {t.user_attrs[OUTPUT_DIR] for t in trials}
    assert dirs == {str((tmp_path / f"job_{i}").resolve()) for i in range(4)}
    assert all("sleep=" in t.user_attrs[OVERRIDES][0] for t in trials)


def test_a_failing_point_is_retried_then_the_sweep_goes_on(tmp_path) -> None:
    study = run(tmp_path, "-1, 0.01", max_retries=1)
    states = sorted((t.params["sleep"], t.state.name) for t in study.get_trials())
    assert states == [(-1, "FAIL"), (-1, "FAIL"), (0.01, "COMPLETE")]


def test_past_max_failure_rate_the_sweep_stops_with_the_trials_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="the trial diverged"):
        run(tmp_path, "-1, 0.01, 0.02", n_slots=1, max_retries=0, max_failure_rate=0.0)


def test_a_point_over_budget_is_skipped_without_running(tmp_path) -> None:
    study = run(tmp_path, "0.01, 0.02, 0.03", budget=Budget({"cost/mult_adds_M": 15.0}))
    by_point = {t.params["sleep"]: t for t in study.get_trials()}
    assert by_point[0.01].state == TrialState.COMPLETE
    assert by_point[0.02].state == by_point[0.03].state == TrialState.PRUNED
    assert by_point[0.03].user_attrs[SKIPPED] == "over budget: cost/mult_adds_M 30.00 > 15"
    assert by_point[0.03].user_attrs["cost/mult_adds_M"] == 30.0
    assert OUTPUT_DIR not in by_point[0.03].user_attrs  # never launched
