"""Search spaces in Hydra's sweep syntax, as Optuna distributions.

``choice(a, b, ...)`` is categorical; ``interval(a, b)`` continuous (integers if both ends are);
``tag(log, interval(a, b))`` log-uniform; ``range(a, b, step)`` the stepped values of Hydra's range,
whose ``b`` is excluded as in Python (so α and ρ are best given with ``choice``). A plain value
(``data=digits``) is fixed for every trial.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Transformer
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import Trial

from mobisweep.core.errors import ConfigError


@dataclass
class SearchSpace:
    """The distributions to sample and the overrides every trial shares."""

    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the (discrete) distributions, in a stable order."""
        names = list(self.distributions)
        values = [grid_values(name, self.distributions[name]) for name in names]
        return [dict(zip(names, combo)) for combo in itertools.product(*values)]

    def suggest(self, trial: Trial) -> dict[str, Any]:
        """Ask ``trial`` for a value of every parameter (enqueued trials get theirs back)."""
        params = {}
        for name, dist in self.distributions.items():
            if isinstance(dist, CategoricalDistribution):
                params[name] = trial.suggest_categorical(name, dist.choices)
            elif isinstance(dist, IntDistribution):
                params[name] = trial.suggest_int(name, dist.low, dist.high, step=dist.step,
                                                 log=dist.log)
            else:
                assert isinstance(dist, FloatDistribution)
                params[name] = trial.suggest_float(name, dist.low, dist.high, step=dist.step,
                                                   log=dist.log)
        return params

    def probes(self) -> list[dict[str, Any]]:
        """Points that reach every bound and choice of every parameter (the others at their first
        value): what a free search is checked with before it starts."""
        names = list(self.distributions)
        extremes = {name: _extremes(self.distributions[name]) for name in names}
        base = {name: values[0] for name, values in extremes.items()}
        points = [base]
        for name in names:
            points += [{**base, name: value} for value in extremes[name][1:]]
        return points

    def overrides(self, params: Mapping[str, Any]) -> list[str]:
        """Hydra overrides of one trial: its sampled values, then the fixed ones."""
        return [f"{k}={v}" for k, v in params.items()] + [f"{k}={v}" for k, v in self.fixed.items()]


def _extremes(dist: BaseDistribution) -> list[Any]:
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    assert isinstance(dist, (IntDistribution, FloatDistribution))
    return [dist.low, dist.high]


def grid_values(name: str, dist: BaseDistribution) -> list[Any]:
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    assert isinstance(dist, (IntDistribution, FloatDistribution))
    step = dist.step
    if step is None or getattr(dist, "log", False):
        raise ConfigError(f"hydra.sweeper.params.{name}", "continuous",
                          "a grid sweep needs choice(...) or range(...) values")
    count = int(math.floor((dist.high - dist.low) / step + 1e-9)) + 1
    return [dist.low + i * step for i in range(count)]


def parse_search_space(params: Mapping[str, Any], arguments: Sequence[str] = ()) -> SearchSpace:
    """``hydra.sweeper.params`` plus sweep arguments from the command line (which win). A param set
    to null is dropped: a sweep config removes what the sweep it extends searches."""
    overrides = [f"{k}={v}" for k, v in params.items() if v is not None] + list(arguments)
    space = SearchSpace()
    for override in OverridesParser.create().parse_overrides(overrides):
        name = override.get_key_element()
        # A command-line value replaces the written one where it stands: a grid keeps the order
        # its sweep config wrote (a budget ladder runs its smallest budget first).
        if not override.is_sweep_override():
            space.distributions.pop(name, None)
            space.fixed[name] = override.get_value_element_as_str()
        else:
            space.fixed.pop(name, None)
            space.distributions[name] = _distribution(name, override)
    return space


def _distribution(name: str, override: Any) -> BaseDistribution:
    value = override.value()
    if override.is_choice_sweep() or (override.is_range_sweep() and value.shuffle):
        choices = list(override.sweep_iterator(transformer=Transformer.encode))
        return CategoricalDistribution(choices)
    if override.is_range_sweep():
        values = list(override.sweep_iterator(transformer=Transformer.identity))
        if not values:
            raise ConfigError(f"hydra.sweeper.params.{name}", str(value), "the range is empty")
        if all(isinstance(v, int) for v in values):
            return IntDistribution(values[0], values[-1], step=int(value.step))
        return FloatDistribution(float(values[0]), float(values[-1]), step=float(value.step))
    if override.is_interval_sweep():
        log = "log" in value.tags
        if isinstance(value.start, int) and isinstance(value.end, int):
            return IntDistribution(value.start, value.end, log=log)
        return FloatDistribution(float(value.start), float(value.end), log=log)
    raise ConfigError(f"hydra.sweeper.params.{name}", str(value), "unsupported sweep syntax")
