"""The design space read back from a trials.csv: trends counted step by step, thinner against
shallower at nearly equal mult-adds, the front and its share of the compute, the figure."""

from __future__ import annotations

import csv

import pytest

from mobisweep.paper.design_space import (
    deploy_cost,
    design_points,
    design_space,
    draw_design_space,
    front,
    thin_vs_shallow,
    trend_steps,
)
from mobisweep.results.points import read_trials
from tests.support.replay_tables import write_table


def test_the_paper_setting_costs_are_the_papers():
    assert deploy_cost(1.0, 1.0, 5) == pytest.approx((568.7, 4.2), abs=0.05)
    assert deploy_cost(0.75, 1.0, 5)[0] == pytest.approx(325.4, abs=0.1)
    assert deploy_cost(1.0, 1.0, 0)[0] == pytest.approx(307, abs=1)  # Shallow MobileNet


@pytest.fixture
def table(tmp_path):
    folder = write_table(tmp_path / "design_space", epochs=3, seeds=(0, 1), depths=(5, 2, 0))
    with (folder / "trials.csv").open() as stream:  # the design space records its budget
        rows = list(csv.DictReader(stream))
    for row in rows:
        row.update({"config/resolution": "64", "config/num_classes": "20",
                    "config/max_epochs": "3"})
    with (folder / "trials.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_trends_pairs_and_front_from_the_table(table):
    rows = read_trials(table / "trials.csv")
    design = design_points(rows)
    assert len(design) == 48 and all(p.point.n == 2 for p in design)
    grid = {p.key: p for p in design}
    # The synthetic top-1 rises with log mult-adds: every step of both trends agrees.
    assert trend_steps(grid) == {"α": (36, 36), "ρ": (36, 36)}
    pairs = thin_vs_shallow(design)
    assert pairs and all(p.thinner.alpha < p.shallower.alpha and p.thinner.depth > p.shallower.depth
                         and p.thinner.rho == p.shallower.rho for p in pairs)
    for pair in pairs:
        costs = deploy_cost(*pair.thinner.key)[0], deploy_cost(*pair.shallower.key)[0]
        assert abs(costs[0] / costs[1] - 1) <= 0.15
    best = front(design)
    most_accurate = max(design, key=lambda p: p.point.mean)
    assert 0 < len(best) < 48 and most_accurate in best
    text = "\n".join(design_space(rows, table))
    assert "48 points of the 48-point grid recorded, 96 trials" in text
    assert "top-1 falls as α falls in 36 of 36 steps" in text
    assert f"{len(best)} of 48 points" in text


def test_the_figure_is_drawn_from_the_csv_alone(table):
    rows = read_trials(table / "trials.csv")
    out = draw_design_space(rows, table)
    assert out.name == "design_space.png" and out.stat().st_size > 20_000
