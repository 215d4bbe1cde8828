"""Before a study is opened, after ``mobisweep.sweep.arguments``: every point's model and data.

A value the model or the data refuse stops the sweep here, with nothing asked, run or left RUNNING.
Each point's model is built and counted once; the budget reuses those counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig

from mobisweep.config import instantiate_node
from mobisweep.errors import ConfigError
from mobisweep.latency import measure_latencies
from mobisweep.sweep.study import point_key
from mobisweep.trial import assemble, preflight

# Data settings that do not change what is read from disk: each data set is read once.
NOT_READ = ("rho", "resolution", "base_resolution", "batch_size", "seed")


class PointCosts:
    """Each point's config assembled once: refused up front, its cost kept for the budget."""

    def __init__(self) -> None:
        self.costs: dict[str, dict[str, float]] = {}
        self.latencies: dict[str, dict[str, Any]] = {}

    def check(self, checked: Sequence[tuple[dict[str, Any], DictConfig]]) -> None:
        """Assemble every point that ``sweep.arguments.check_points`` checked and composed (a free
        search: every bound and choice), and read each data set."""
        read: set[str] = set()
        for point, cfg in checked:
            self.costs[point_key(point)] = preflight(cfg).metrics()  # shapes only: no weights
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

    def of(self, point: dict[str, Any], cfg: DictConfig, latency: bool = False) -> dict[str, float]:
        """The cost figures of ``point`` (composed as ``cfg``): counted in the check, or now; with
        ``latency``, its measured latency too (before any training)."""
        key = point_key(point)
        if latency and key not in self.latencies:
            if not cfg.latency.enabled:
                raise ConfigError("latency.enabled", False, "a latency budget needs latency measured")
            trial = assemble(cfg)  # the model is needed: build and count it once, here
            self.costs[key] = trial.cost.metrics()
            self.latencies[key] = measure_latencies(trial.model, cfg)
        if key not in self.costs:
            self.costs[key] = preflight(cfg).metrics()
        return {**self.costs[key], **(self.latencies.get(key, {}) if latency else {})}
