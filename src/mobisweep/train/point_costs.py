"""Before a study is opened, after ``mobisweep.sweep.arguments``: every point's model and data.

A value the model or the data refuse stops the sweep here, with nothing asked, run or left RUNNING.
Each point's model is built and counted once; the budget reuses those counts. Where latency is
measured, the checked points (a grid: all of them; a free search: every bound and choice) are
timed side by side in this one process before any trial trains, and a point met later is timed
beside three of them (``mobisweep.latency.side_by_side``): latencies that rank.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig

from mobisweep.core.errors import ConfigError
from mobisweep.core.instantiate import instantiate_node
from mobisweep.core.metrics import DEPLOY_PREFIX, LATENCY_PREFIX
from mobisweep.cost.count import Cost
from mobisweep.latency.measure import Latency, resolutions
from mobisweep.latency.side_by_side import (
    configured_settings,
    measure_beside,
    measure_side_by_side,
    references,
)
from mobisweep.sweep.hook import PointFigures
from mobisweep.sweep.study import point_key
from mobisweep.train.assembly import assemble, preflight

log = logging.getLogger(__name__)

# Data settings that do not change what is read from disk: each data set is read once.
NOT_READ = ("rho", "resolution", "base_resolution", "batch_size", "seed")


class PointCosts(PointFigures):
    """Each point's config assembled once: refused up front, its cost kept for the budget."""

    def __init__(self) -> None:
        self.costs: dict[str, dict[str, float]] = {}
        self.latencies: dict[str, dict[str, Any]] = {}
        # The pass's references: (model, resolution) and its figure in the pass.
        self.references: list[tuple[tuple[Any, int], Latency]] = []

    def check(self, checked: Sequence[tuple[dict[str, Any], DictConfig]]) -> None:
        """Assemble every point that ``sweep.arguments.check_points`` checked and composed (a free
        search: every bound and choice), and read each data set."""
        read: set[str] = set()
        costs = []
        for point, cfg in checked:
            costs.append(preflight(cfg))  # shapes only: no weights
            self.costs[point_key(point)] = costs[-1].metrics()
            datamodule = instantiate_node(cfg.data, field="data")  # every point's data settings
            trainer = str(sorted((k, str(v)) for k, v in cfg.trainer.items()))
            if trainer not in read:  # each trainer setting once: a library's refusal, here
                logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
                instantiate_node(cfg.trainer, field="trainer", logger=False, callbacks=[],
                                 enable_checkpointing=False)
                read.add(trainer)
            data = str(sorted((k, str(v)) for k, v in cfg.data.items() if k not in NOT_READ))
            if data not in read and hasattr(datamodule, "check"):
                datamodule.check()  # each data set once: reading may take a while
                read.add(data)
        if checked and checked[0][1].latency.enabled:
            self.time_side_by_side(checked, costs)

    def time_side_by_side(self, checked: Sequence[tuple[dict[str, Any], DictConfig]],
                          costs: Sequence[Cost]) -> None:
        """Time every checked point's network (at the training and the deployment resolution) in
        one pass of interleaved rounds, before any trial trains."""
        networks, owners = [], []
        for (point, cfg), cost in zip(checked, costs):
            model = assemble(cfg, cost).model  # checked and counted already: built only
            for prefix, resolution in resolutions(cfg):
                networks.append((model, resolution))
                owners.append((point_key(point), prefix))
        log.info("latency: %d networks timed side by side, %d rounds", len(networks),
                 checked[0][1].latency.rounds)
        measured = measure_side_by_side(networks, **configured_settings(checked[0][1].latency))
        for (key, prefix), latency in zip(owners, measured):
            self.latencies.setdefault(key, {}).update(latency.metrics(prefix))
        self.references = [(networks[i], measured[i]) for i in references(measured)]

    def of(self, point: dict[str, Any], cfg: DictConfig, latency: bool = False) -> dict[str, float]:
        """The cost figures of ``point`` (composed as ``cfg``): counted in the check, or now; with
        ``latency`` (a latency budget) or wherever latency is measured, its latency too: timed
        side by side before any training, and logged by the trial."""
        latency = latency or bool(cfg.latency.enabled)
        key = point_key(point)
        if latency and key not in self.latencies:
            if not cfg.latency.enabled:
                raise ConfigError(
                    "latency.enabled", False, "a latency budget needs latency measured"
                )
            trial = assemble(cfg)  # the model is needed: build and count it once, here
            self.costs[key] = trial.cost.metrics()
            self.latencies[key] = self._time_later(trial.model, cfg)
        if key not in self.costs:
            self.costs[key] = preflight(cfg).metrics()
        return {**self.costs[key], **(self.latencies.get(key, {}) if latency else {})}

    def _time_later(self, model: Any, cfg: DictConfig) -> dict[str, Any]:
        """A point the pass did not time: beside its references, on the pass's scale (with no
        pass yet, e.g. points beyond the checked ones of a free search: a pass of its own)."""
        figures: dict[str, Any] = {}
        for prefix, resolution in resolutions(cfg):
            if self.references:
                nets, refs = zip(*self.references)
                latency = measure_beside((model, resolution), nets, refs,
                                         **configured_settings(cfg.latency))
            else:
                latency = measure_side_by_side([(model, resolution)],
                                               **configured_settings(cfg.latency))[0]
            figures.update(latency.metrics(prefix))
        return figures


def side_by_side_override(figures: dict[str, Any]) -> str | None:
    """The trial's ``latency.side_by_side`` override: its pre-flight figures, which its run logs
    as ``latency/*`` and ``latency_deploy/*`` beside its own measurement."""
    groups: dict[str, dict[str, Any]] = {}
    for name, value in figures.items():
        for prefix in (LATENCY_PREFIX, DEPLOY_PREFIX):
            if name.startswith(prefix) and isinstance(value, (int, float, str)):
                groups.setdefault(prefix.rstrip("/"), {})[name[len(prefix):]] = value
    if not groups:
        return None
    inner = ",".join(f"{group}:{{{','.join(f'{k}:{_value(v)}' for k, v in values.items())}}}"
                     for group, values in groups.items())
    return f"latency.side_by_side={{{inner}}}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):  # a backend's or a device's name
        return "'" + value.replace("'", "\\'") + "'"
    return repr(float(value)) if isinstance(value, float) else str(value)
