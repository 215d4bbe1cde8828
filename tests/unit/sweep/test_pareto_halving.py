"""Pareto halving: geometric rungs, a margin learned from finished trials, cheapest first."""

from __future__ import annotations

import math

import pytest
from omegaconf import OmegaConf

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.cost_aware import Peer
from mobisweep.sweep.pareto_halving import ParetoHalving, geometric_rungs

COST = "cost/mult_adds_M"


def finished(cost: float, at: dict[int, float], final: float) -> Peer:
    return Peer({COST: cost}, {**at, 11: final})


def test_rungs_are_geometric_and_short_of_the_last_epoch():
    assert geometric_rungs(1, 3, 12) == (0, 2, 8)
    assert geometric_rungs(1, 2, 12) == (0, 1, 3, 7)
    assert geometric_rungs(2, 3, 5) == (1,)
    assert ParetoHalving(max_epochs=12).rungs == (0, 2, 8)


def test_nothing_stops_before_enough_trials_finished():
    rule = ParetoHalving(max_epochs=12, min_finished=3)
    peers = [finished(1.0, {0: 0.5}, 0.6), finished(2.0, {0: 0.5}, 0.7)]
    assert rule.should_stop(0, 0.1, {COST: 5.0}, peers) is None


def test_the_margin_is_the_largest_catch_up_of_a_dearer_finished_trial():
    rule = ParetoHalving(max_epochs=12, min_finished=3, margin=0.0)
    # In log top-1 after epoch 0, the dearer of each pair gains log(.45/.40) (1 -> 2),
    # log(.45/.40) + log(.30/.25) (1 -> 3) and log(.30/.25) (2 -> 3) on the cheaper one.
    peers = [finished(1.0, {0: 0.30}, 0.40), finished(2.0, {0: 0.30}, 0.45),
             finished(3.0, {0: 0.25}, 0.45)]
    largest = math.log(0.45 / 0.40) + math.log(0.30 / 0.25)
    assert rule.margin_at(0, peers) == pytest.approx(largest)
    edge = 0.30 / math.exp(largest)  # the best cheaper peer's 0.30, less the largest catch-up
    assert rule.should_stop(0, edge + 0.005, {COST: 4.0}, peers) is None
    reason = rule.should_stop(0, edge - 0.005, {COST: 4.0}, peers)
    assert reason and "costing no more" in reason
    # A peer that costs more never dominates, however far ahead.
    assert rule.should_stop(0, 0.01, {COST: 0.5}, peers) is None
    assert rule.should_stop(1, 0.01, {COST: 4.0}, peers) is None  # not a rung


def test_a_grid_is_claimed_cheapest_first():
    rule = ParetoHalving(max_epochs=12)
    costs = [{COST: 5.0}, {COST: 1.0}, {COST: 3.0}]
    assert rule.order([{}, {}, {}], costs) == [1, 2, 0]
    assert ParetoHalving(max_epochs=12, cheapest_first=False).order([{}], [{COST: 1.0}]) is None


@pytest.mark.parametrize("field, value", [("max_epochs", 0), ("min_epochs", 12),
                                          ("reduction_factor", 1), ("margin", 1.5),
                                          ("quantile", 0), ("min_finished", 1)])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=rf"hydra.sweeper.pruner.{field}"):
        ParetoHalving(**{"max_epochs": 12, field: value})


def test_the_config_builds_the_rule_at_the_trials_budget():
    from hydra.utils import instantiate

    from mobisweep.config.loading import CONFIG_DIR

    node = OmegaConf.load(CONFIG_DIR / "hydra" / "sweeper" / "pruner" / "pareto_halving.yaml")
    assert OmegaConf.to_container(node)["max_epochs"] == "${trainer.max_epochs}"
    node.max_epochs = 12
    rule = instantiate(node)
    assert isinstance(rule, ParetoHalving) and rule.rungs == (0, 2, 8) and rule.cheapest_first
