"""A sweep's budget (``mobisweep.sweep.budget``): refused in one line, applied to known figures."""

from __future__ import annotations

import pytest

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.budget import Budget


def test_a_point_over_any_limit_is_over_and_says_by_what() -> None:
    budget = Budget.from_config({"mult_adds_M": 150, "latency_ms": None})
    assert not budget.needs_latency  # a null limit is no limit
    assert budget.over({"cost/mult_adds_M": 149.0}) is None
    assert budget.over({"cost/mult_adds_M": 150.5}) == "over budget: cost/mult_adds_M 150.50 > 150"


def test_a_latency_budget_is_measured_and_reports_its_spread() -> None:
    budget = Budget.from_config({"latency_ms": 5})
    assert budget.needs_latency
    said = budget.over({"latency/median_ms": 6.0, "latency/cv": 0.04})
    assert said == "over budget: latency/median_ms 6.00 (CV 0.040) > 5"


@pytest.mark.parametrize(("node", "field"), [
    ({"flops": 1}, "sweep.budget.flops"),
    ({"mult_adds_M": 0}, "sweep.budget.mult_adds_M"),
    ({"params_M": "many"}, "sweep.budget.params_M"),
])
def test_a_bad_budget_is_one_line_naming_its_key(node, field) -> None:
    with pytest.raises(ConfigError, match=f"^{field}="):
        Budget.from_config(node)
