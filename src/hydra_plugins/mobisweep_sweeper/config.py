"""The sweeper's config (``hydra.sweeper``), registered as ``hydra/sweeper: mobisweep``.

The surface of Hydra's Optuna sweeper, kept familiar: ``params`` in Hydra's sweep syntax,
``direction`` (one, or a list for several objectives), ``sampler`` with ``_target_``, ``storage``,
``study_name``, ``n_trials``, ``n_jobs``. Added: ``grid: true`` (every combination of the choices
exactly once, also across restarts; it replaces Optuna's GridSampler), ``max_retries`` for failed trials, and the sweep budget read from the
top-level ``sweep.budget`` (``+sweep.budget.mult_adds_M=150``).
"""

# No `from __future__ import annotations`: Hydra's plugin scan runs this module outside
# sys.modules, where dataclasses cannot resolve string annotations (and OmegaConf needs real types).
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from hydra.core.config_store import ConfigStore


@dataclass
class MobisweepSweeperConf:
    _target_: str = "hydra_plugins.mobisweep_sweeper.sweeper.MobisweepSweeper"
    sampler: Any = field(default_factory=lambda: {"_target_": "optuna.samplers.TPESampler",
                                                  "seed": 0})
    direction: Any = "maximize"
    storage: Optional[str] = None
    study_name: Optional[str] = None
    n_trials: int = 20
    n_jobs: int = 1
    grid: bool = False
    max_retries: int = 1
    params: Optional[Dict[str, Any]] = None


ConfigStore.instance().store(group="hydra/sweeper", name="mobisweep", node=MobisweepSweeperConf,
                             provider="mobisweep")
