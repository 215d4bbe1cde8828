"""Sweeps replayed on recorded tables through the real sweeper: seeded draws, one-line refusals,
asynchronous simulated slots, the stopping rules fed the recorded curves, and the comparison."""

from __future__ import annotations

import csv
import math

import optuna
import pytest

from mobisweep.core.errors import ConfigError
from mobisweep.replay.compare import replay_sweep
from mobisweep.replay.simulator import ENDED, EPOCHS, STARTED, SimulatedSlots
from mobisweep.replay.table import RecordedTable
from mobisweep.sweep.recorder import Pruned
from tests.support.replay_tables import final_top1, mult_adds, write_table

MO = ["objectives=[val/acc1,cost/mult_adds_M]"]


def test_a_point_draws_one_of_its_seeds_the_same_way_in_every_replay_of_that_seed(tmp_path):
    table = RecordedTable(write_table(tmp_path, seeds=(0, 1, 2)))
    point = {"model.alpha": 0.5, "data.rho": 1.0}
    draws = {seed: table.draw(point, seed).number for seed in range(12)}
    assert draws == {seed: table.draw(point, seed).number for seed in range(12)}
    assert len(set(draws.values())) > 1  # the seeds differ
    assert table.draw({**point, "seed": 2}, 0).top1[-1] == pytest.approx(
        final_top1(0.5, 1.0) + 0.006)  # a point that names its seed gets it
    assert len(table.points) == 16


def test_a_point_or_a_parameter_the_table_lacks_is_refused_in_one_line(tmp_path):
    table = RecordedTable(write_table(tmp_path))
    with pytest.raises(ConfigError, match=r"holds no trial of model.alpha=0.35") as missing:
        table.draw({"model.alpha": 0.35, "data.rho": 1.0}, 0)
    with pytest.raises(ConfigError, match=r"hydra.sweeper.params.model.depth=2: the table .* did "
                                          r"not vary it"):
        table.check({"model.alpha": 1.0, "model.depth": 2})
    assert "\n" not in str(missing.value)


def test_a_sweep_over_points_the_table_lacks_stops_before_any_trial(tmp_path, capsys):
    table = write_table(tmp_path / "table")
    with pytest.raises(SystemExit) as exit_:
        replay_sweep(table, "alpha_rho", ["model.alpha=choice(1.0,0.35)"],
                     seed=0, workers=1)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "holds no trial of model.alpha=0.35" in err


def test_simulated_slots_free_a_slot_the_moment_its_trial_ends(tmp_path):
    table = RecordedTable(write_table(tmp_path, epochs=3))
    study = optuna.create_study(directions=["maximize", "minimize"])
    slots = SimulatedSlots(table, 0, study, ["val/acc1", "cost/mult_adds_M"], None, size=2)
    dear, cheap = ({"model.alpha": 1.0, "data.rho": 1.0}, {"model.alpha": 0.25, "data.rho": 0.571})
    trials = []
    for point in (dear, cheap):
        study.enqueue_trial(point)
        trial = study.ask()
        trial.suggest_categorical("model.alpha", [1.0, 0.75, 0.5, 0.25])
        trial.suggest_categorical("data.rho", [1.0, 0.857, 0.714, 0.571])
        slots.start(trial, [], 0)
        trials.append(trial)
    assert slots.free == 0
    (first, ret), = slots.wait()
    assert first.number == trials[1].number and slots.free == 1  # the cheap one ends first
    assert ret.return_value == pytest.approx([final_top1(0.25, 0.571), mult_adds(0.25, 0.571)])
    assert slots.now == pytest.approx(3 * 0.5 * mult_adds(0.25, 0.571))
    (second, _), = slots.wait()
    assert second.number == trials[0].number and slots.now == pytest.approx(75.0)
    attrs = study.trials[0].user_attrs
    assert (attrs[STARTED], attrs[ENDED], attrs[EPOCHS]) == (0.0, pytest.approx(75.0), 3)
    assert slots.wait() == []


def test_a_replayed_sweep_keeps_every_slot_busy_and_spends_the_whole_grid(tmp_path):
    table = write_table(tmp_path / "table")
    found = replay_sweep(table, "alpha_rho", MO, seed=0, workers=4)
    assert found.finished == 16 and found.stopped == 0
    assert found.seconds == pytest.approx(found.grid_seconds) and found.hv_share == pytest.approx(1)
    # Four asynchronous slots: the simulated wall time is a quarter of the work, give or take the
    # last trials' tail (never the sum of four batches' slowest members).
    assert found.makespan < found.grid_seconds / 4 + max(mult_adds(1, 1) * 3, 1)


def test_optunas_pruner_sees_the_recorded_curves_epoch_by_epoch(tmp_path):
    table = write_table(tmp_path / "table", epochs=6)
    found = replay_sweep(table, "alpha_rho", ["objectives=[val/acc1]",
                                              "hydra.sweeper.direction=maximize",
                                              "+hydra/sweeper/pruner=median",
                                              "hydra.sweeper.pruner.n_startup_trials=4",
                                              "hydra.sweeper.pruner.n_warmup_steps=0"],
                         seed=0, workers=1)
    # Written order, alpha 1.0 first: top-1 falls with alpha, so after the first four every
    # trial is below the median of its predecessors at its first epoch.
    assert found.finished == 4 and found.stopped == 12
    assert found.seconds < found.grid_seconds


def test_a_budget_skips_points_in_a_replay_without_running_them(tmp_path):
    table = write_table(tmp_path / "table")
    found = replay_sweep(table, "alpha_rho", [*MO, "+sweep.budget.mult_adds_M=10"], seed=0,
                         workers=2)
    under = [mult_adds(a, r) for a in (1.0, 0.75, 0.5, 0.25) for r in (1.0, 0.857, 0.714, 0.571)
             if mult_adds(a, r) <= 10]
    assert found.finished == len(under) < 16 and found.stopped == 0  # the rest never ran
    assert found.seconds == pytest.approx(sum(6 * 0.5 * c for c in under))  # 6 epochs each


def test_pareto_halving_stops_dominated_trials_and_keeps_the_front(tmp_path):
    table = write_table(tmp_path / "table", epochs=9, depths=(5, 2, 0))
    replay = ["model.depth=choice(5,2,0)", *MO,
              "+hydra/sweeper/pruner=pareto_halving", "trainer.max_epochs=9"]
    found = replay_sweep(table, "alpha_rho", replay, seed=0, workers=1)
    # The curves rise in proportion: a dominated trial is behind at its first rung already.
    assert found.stopped >= 10 and found.hv_share == pytest.approx(1.0)
    assert found.seconds < 0.8 * found.grid_seconds


def test_a_resumed_replay_runs_only_what_did_not_finish(tmp_path):
    table = write_table(tmp_path / "table")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = replay_sweep(table, "alpha_rho", [*MO, f"hydra.sweeper.storage={storage}"], seed=0,
                         workers=1)
    again = replay_sweep(table, "alpha_rho", [*MO, f"hydra.sweeper.storage={storage}"], seed=0,
                         workers=1)
    study = optuna.load_study(study_name="replay_0", storage=storage)
    assert first.finished == 16 and len(study.trials) == 16  # nothing left: nothing ran again
    assert again.seconds == first.seconds and again.curve == first.curve


def test_the_comparison_writes_its_table_and_figure(tmp_path):
    from mobisweep.replay.compare import main

    table = write_table(tmp_path / "table", epochs=4, crossing=True)
    main([str(table), "--methods", "grid", "pareto_halving", "moasha", "--seeds", "2",
          "--workers", "1", "2", "--out", str(tmp_path / "out")])
    with (tmp_path / "out" / "summary.csv").open() as stream:
        summary = {(r["method"], r["workers"]): r for r in csv.DictReader(stream)}
    assert set(summary) == {(m, w) for m in ("grid", "pareto_halving", "moasha")
                            for w in ("1", "2")}
    grid = summary[("grid", "1")]
    assert float(grid["compute"]) == pytest.approx(1) and float(grid["hypervolume"]) == 1
    for row in summary.values():
        assert 0 < float(row["compute"]) <= 1.0 + 1e-9 or row["method"] == "moasha"
        assert 0 <= float(row["hypervolume"]) <= 1 + 1e-9
        assert not math.isnan(float(row["oracle"]))
    assert (tmp_path / "out" / "hypervolume_vs_compute.png").stat().st_size > 10_000


def test_replayed_trials_return_pruned_not_errors(tmp_path):
    table = RecordedTable(write_table(tmp_path, epochs=3))
    study = optuna.create_study(directions=["maximize", "minimize"])

    class StopAll:
        rungs = (0,)

        def should_stop(self, *args):
            return "stop"

    from mobisweep.sweep.cost_aware import KnownCostRule

    rule = type("Rule", (StopAll, KnownCostRule), {})()
    slots = SimulatedSlots(table, 0, study, ["val/acc1", "cost/mult_adds_M"], rule, size=1)
    trial = study.ask()
    trial.suggest_categorical("model.alpha", [1.0])
    trial.suggest_categorical("data.rho", [1.0])
    trial.set_user_attr("cost/mult_adds_M", 50.0)
    slots.start(trial, [], 0)
    (_, ret), = slots.wait()
    assert isinstance(ret.return_value, Pruned) and study.trials[0].user_attrs[EPOCHS] == 1


def test_a_trial_that_fails_is_retried_then_recorded_failed_and_the_sweep_goes_on(tmp_path):
    folder = write_table(tmp_path / "table", epochs=4)
    with (folder / "trials.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    rows[0]["state"] = "PRUNED"  # recorded stopped after 2 epochs: a replay past them fails
    with (folder / "trials.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with (folder / "curves.csv").open() as stream:
        curves = [c for c in csv.DictReader(stream) if c["number"] != "0" or int(c["epoch"]) < 2]
    with (folder / "curves.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(curves[0]))
        writer.writeheader()
        writer.writerows(curves)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    found = replay_sweep(folder, "alpha_rho", [*MO, f"hydra.sweeper.storage={storage}",
                                               "hydra.sweeper.max_retries=2"], seed=0, workers=2)
    study = optuna.load_study(study_name="replay_0", storage=storage)
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    assert found.finished == 15 and len(failed) == 3  # the first attempt and two retries
    assert all("was stopped after epoch 1" in t.user_attrs["mobisweep:error"] for t in failed)
    assert {t.user_attrs.get("mobisweep:retry_of") for t in failed} == {None, failed[0].number,
                                                                         failed[1].number}


def test_latency_measured_beside_a_table_is_an_objective_of_its_replay(tmp_path):
    folder = write_table(tmp_path / "table", depths=(5, 0))
    with (folder / "latency.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, ["model.alpha", "data.rho", "model.depth",
                                         "latency_deploy/median_ms", "latency_deploy/cv"])
        writer.writeheader()
        for a in (1.0, 0.75, 0.5, 0.25):
            for r in (1.0, 0.857, 0.714, 0.571):
                for d in (5, 0):  # latency in proportion to mult-adds, plus a fixed overhead
                    writer.writerow({"model.alpha": a, "data.rho": r, "model.depth": d,
                                     "latency_deploy/median_ms": 2 + 0.1 * mult_adds(a, r, d),
                                     "latency_deploy/cv": 0.05})
    replay = ["model.depth=choice(5,0)", "objectives=[val/acc1,latency_deploy/median_ms]",
              "latency.resolution=224",  # what the check of a deployed latency asks for
              "+hydra/sweeper/pruner=pareto_halving", "trainer.max_epochs=6"]
    found = replay_sweep(folder, "alpha_rho", replay, seed=0, workers=2)
    assert found.hv_share == pytest.approx(1.0) and found.finished + found.stopped == 32
    with pytest.raises(SystemExit):  # an objective the table did not record: refused
        replay_sweep(folder, "alpha_rho", ["objectives=[val/acc1,latency/median_ms]"], seed=0,
                     workers=1)
