"""The Sweeper class that Hydra's plugin scan registers (``hydra/sweeper: mobisweep``).

Hydra imports every module of every plugin on each start, a single run's too. The sweep's machinery
(Optuna, the results, through them torch and Lightning) lives in ``_sweeper``, which the scan skips,
and is imported only when a sweep starts: ``python -m mobisweep`` checks a config in about a second.
"""

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class MobisweepSweeper(Sweeper):
    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.sweeper: Sweeper | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        from hydra_plugins.mobisweep_sweeper._sweeper import MobisweepSweeperImpl

        self.sweeper = MobisweepSweeperImpl(**self.settings)
        self.sweeper.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        assert self.sweeper is not None, "Hydra calls setup() before sweep()"
        return self.sweeper.sweep(arguments)
