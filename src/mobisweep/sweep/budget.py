"""A sweep's budget: limits on the figures known before training (``core.metrics.BUDGETS``).

``+sweep.budget.mult_adds_M=150`` skips every point whose model costs more, without training it.
``+sweep.budget.latency_ms=5`` (or ``deploy_latency_ms``, at ``latency.resolution``) measures each
point's latency before training, with the trial's own latency settings: a network's latency does
not depend on its weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mobisweep.core.errors import ConfigError, is_number
from mobisweep.core.metrics import BUDGETS, is_latency


@dataclass(frozen=True)
class Budget:
    limits: dict[str, float] = field(default_factory=dict)  # figure name -> the most allowed

    @classmethod
    def from_config(cls, node: Mapping[str, Any] | None) -> Budget:
        """``sweep.budget``: each key a budget of ``BUDGETS``, each value a number > 0 or null."""
        limits = {}
        for key, limit in (node or {}).items():
            if key not in BUDGETS:
                raise ConfigError(f"sweep.budget.{key}", limit, f"budgets: {', '.join(BUDGETS)}")
            if limit is None:
                continue
            if not is_number(limit) or limit <= 0:
                raise ConfigError(f"sweep.budget.{key}", limit, "must be a number > 0")
            limits[BUDGETS[key].name] = float(limit)
        return cls(limits)

    @property
    def needs_latency(self) -> bool:
        return any(is_latency(name) for name in self.limits)

    def over(self, figures: Mapping[str, float]) -> str | None:
        """Why a point with these figures is over budget; None when it is within."""
        for name, limit in self.limits.items():
            if figures[name] > limit:
                cv = f"{name.rsplit('/', 1)[0]}/cv"
                spread = f" (CV {figures[cv]:.3f})" if is_latency(name) and cv in figures else ""
                return f"over budget: {name} {figures[name]:.2f}{spread} > {limit:g}"
        return None
