"""The sweeper's config (``hydra.sweeper``), registered as ``hydra/sweeper: mobisweep``.

The surface of Hydra's Optuna sweeper, kept familiar: ``params`` in Hydra's sweep syntax,
``direction`` (one, or a list for several objectives), ``sampler`` with ``_target_``, ``storage``,
``study_name``, ``n_trials``, ``n_jobs``, ``max_failure_rate``, ``custom_search_space``, and the
samplers as a config group (``hydra/sweeper/sampler=random``: tpe, random, cmaes, gp, qmc, nsgaii,
nsgaiii, grid). Added: ``grid: true`` (every combination of the choices
exactly once, also across restarts; it replaces Optuna's GridSampler), ``max_retries`` for failed
trials, and the sweep budget read from the
top-level ``sweep.budget`` (``+sweep.budget.mult_adds_M=150``), heartbeats for many workers on one
storage (PostgreSQL, a journal file).
"""

# No `from __future__ import annotations`: Hydra's plugin scan runs this module outside
# sys.modules, where dataclasses cannot resolve string annotations (and OmegaConf needs real types).
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class MobisweepSweeperConf:
    _target_: str = "hydra_plugins.mobisweep_sweeper.sweeper.MobisweepSweeper"
    defaults: List[Any] = field(default_factory=lambda: [{"sampler": "tpe"}])
    # Any Optuna sampler (``_target_``); the group ``hydra/sweeper/sampler`` holds ready ones.
    sampler: Any = MISSING
    direction: Any = "maximize"
    storage: Optional[str] = None
    study_name: Optional[str] = None
    n_trials: int = 20
    # Trials launched together: null = what the launcher runs at once (joblib's n_jobs, submitit's
    # array_parallelism; 1 for Hydra's basic launcher).
    n_jobs: Optional[int] = None
    grid: bool = False
    max_retries: int = 1
    # Seconds between a running trial's heartbeats; a trial silent for grace_period (default: twice
    # the interval) belongs to a dead worker and is failed and re-queued by a live one.
    heartbeat_interval: int = 60
    grace_period: Optional[int] = None
    # A worker with nothing left to ask waits for the other workers' running trials, so that it can
    # take over the trial of one that dies. false: it stops at once.
    wait_for_running: bool = True
    params: Optional[Dict[str, Any]] = None
    # Any Optuna pruner (``_target_``), for a study of one objective: each trial reports its
    # validation top-1 after every epoch, and a pruned trial stops and is recorded PRUNED.
    pruner: Any = None
    # What the app tells the sweeper about its trials (``_target_``: a ``mobisweep.sweep.hook``
    # SweepHook). null: nothing, so any Hydra app sweeps; mobisweep's sweep configs name theirs.
    hook: Any = None
    # As in Hydra's Optuna sweeper: stop once more than this share of the trials failed (0: at the
    # first failure). null: never; failed trials are retried (max_retries) and the sweep goes on.
    max_failure_rate: Optional[float] = None
    # As in Hydra's Optuna sweeper: a function (config, trial) that suggests more params.
    custom_search_space: Optional[str] = None


# Optuna's samplers by name, each seeded (a sweep repeats); ``grid`` is Optuna's GridSampler, for
# which the sweeper runs its own grid (``grid: true``).
SAMPLERS = {"tpe": "TPESampler", "random": "RandomSampler", "cmaes": "CmaEsSampler",
            "gp": "GPSampler", "qmc": "QMCSampler", "nsgaii": "NSGAIISampler",
            "nsgaiii": "NSGAIIISampler"}

store = ConfigStore.instance()
store.store(group="hydra/sweeper", name="mobisweep", node=MobisweepSweeperConf,
            provider="mobisweep")
for name, sampler in SAMPLERS.items():
    store.store(group="hydra/sweeper/sampler", name=name, provider="mobisweep",
                node={"_target_": f"optuna.samplers.{sampler}", "seed": 0})
store.store(group="hydra/sweeper/sampler", name="grid", provider="mobisweep",
            node={"_target_": "optuna.samplers.GridSampler", "_partial_": True})
