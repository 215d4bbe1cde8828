"""Cost-aware early stopping: the rule on its own, and in a real multi-objective sweep."""

from __future__ import annotations

import csv

import optuna
import pytest
from optuna.trial import TrialState

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.cost_aware import CostAwarePruner, Peer
from tests.conftest import run_module

CHEAP = {"cost/mult_adds_M": 10.0}
DEAR = {"cost/mult_adds_M": 40.0}


def test_a_trial_behind_a_no_dearer_peer_at_a_rung_stops():
    pruner = CostAwarePruner(rungs=(0, 2), margin=0.02)
    ahead = Peer(CHEAP, {0: 0.50, 1: 0.60, 2: 0.70})
    assert pruner.should_stop(0, 0.40, DEAR, [ahead]).startswith("stopped after epoch 0")
    assert pruner.should_stop(1, 0.40, DEAR, [ahead]) is None  # not a rung
    assert pruner.should_stop(0, 0.49, DEAR, [ahead]) is None  # within the margin
    assert pruner.should_stop(0, 0.40, {"cost/mult_adds_M": 5.0}, [ahead]) is None  # it is dearer
    assert pruner.should_stop(2, 0.40, DEAR, [Peer(CHEAP, {0: 0.9})]) is None  # no value at 2
    assert pruner.should_stop(0, 0.40, DEAR, [Peer({}, {0: 0.9})]) is None  # costs unknown
    # Every known objective counts: cheaper in mult-adds but larger in params is not "no dearer".
    both = {"cost/mult_adds_M": 40.0, "cost/params_M": 1.0}
    assert pruner.should_stop(0, 0.1, both, [Peer({"cost/mult_adds_M": 10.0,
                                                   "cost/params_M": 2.0}, {0: 0.9})]) is None


def test_rungs_must_be_epochs():
    with pytest.raises(ConfigError, match=r"hydra.sweeper.pruner.rungs=\[-1\]"):
        CostAwarePruner(rungs=(-1,))


TINY = ["data=digits", "data.train_subset=200", "trainer.max_epochs=2", "latency=none",
        "logger.mode=offline", "data.rho=1.0"]
# margin -1: any trial with a no-dearer peer at epoch 0 is stopped, whatever their top-1 (the
# rule's mechanics, made deterministic).
COST_AWARE = ("+hydra/sweeper/pruner=cost_aware", "hydra.sweeper.pruner.rungs=[0]",
              "hydra.sweeper.pruner.margin=-1.0")


def test_a_multi_objective_sweep_stops_the_dearer_trial_at_the_rung(tmp_path):
    result = run_module("mobisweep", "+sweep=alpha_rho", *TINY, "model.alpha=0.25,0.5",
                        *COST_AWARE, "study_name=cost_aware", "-m", cwd=tmp_path,
                        env={"WANDB_MODE": "offline"})
    assert result.returncode == 0, result.stderr[-3000:]
    study = optuna.load_study(study_name="cost_aware",
                              storage=f"sqlite:///{tmp_path}/sweeps/cost_aware/study.db")
    cheap, dear = sorted(study.get_trials(), key=lambda t: t.params["model.alpha"])
    assert cheap.state == TrialState.COMPLETE and dear.state == TrialState.PRUNED
    assert dear.user_attrs["mobisweep:pruned_at_epoch"] == 0
    assert "a trial costing no more" in dear.user_attrs["mobisweep:skipped"]
    # Both curves stay in the study: every epoch of the finished trial, the stopped one's first.
    assert {k for k in cheap.user_attrs if k.startswith("mobisweep:top1@")} == {
        "mobisweep:top1@0", "mobisweep:top1@1"}
    assert "mobisweep:top1@0" in dear.user_attrs and "mobisweep:top1@1" not in dear.user_attrs
    # ... and in the sweep's record: the stopped trial's one epoch, and its wall time.
    folder = tmp_path / "sweeps" / "cost_aware"
    curves = list(csv.DictReader(open(folder / "curves.csv")))
    assert [(c["epoch"], float(c["val/acc1"])) for c in curves if c["number"] == str(dear.number)
            ] == [("0", dear.user_attrs["mobisweep:top1@0"])]
    # Every epoch's wall seconds too, the stopped trial's included: what a replay's clock reads.
    assert all(float(c["epoch/seconds"]) > 0 for c in curves)
    [row] = [r for r in csv.DictReader(open(folder / "trials.csv")) if r["state"] == "PRUNED"]
    assert float(row["wall_seconds"]) > 0


@pytest.mark.parametrize("objectives, pruner, message", [
    ("objectives=[val/acc1]", "+hydra/sweeper/pruner=cost_aware",
     "a study of one objective has none"),
    (None, "+hydra/sweeper/pruner=median",
     "Optuna's pruners take one objective; this study has 2"),
])
def test_a_pruner_that_cannot_work_is_refused_before_any_trial(tmp_path, objectives, pruner,
                                                               message):
    args = ["+sweep=alpha_rho", *TINY, "model.alpha=0.25,0.5", pruner]
    if objectives:
        args += [objectives, "hydra.sweeper.direction=maximize"]
    result = run_module("mobisweep", *args, "-m", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr[-2000:]
    assert "Launching" not in result.stdout + result.stderr


def test_a_trial_in_another_folder_names_the_same_storage(tmp_path, monkeypatch):
    from mobisweep.sweep.storage import absolute_url

    monkeypatch.chdir(tmp_path)
    assert absolute_url("sqlite:///sweeps/s/study.db") == f"sqlite:///{tmp_path}/sweeps/s/study.db"
    assert absolute_url("journal:///j.log") == f"journal:///{tmp_path}/j.log"
    for url in ("sqlite:////abs/study.db", "postgresql://u@host/db", "journal:////abs/j.log"):
        assert absolute_url(url) == url
