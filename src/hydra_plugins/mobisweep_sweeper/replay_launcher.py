"""``hydra/launcher=replay``: a sweep's trials replayed from a recorded table instead of trained.

    python -m mobisweep +sweep=design_space +hydra/sweeper/pruner=pareto_halving \\
        hydra/launcher=replay hydra.launcher.table=sweeps/reference/design_space \\
        hydra.launcher.n_jobs=4 -m

Under mobisweep's sweeper the trials run through the sweeper's own loop (claims, budgets, retries,
stopping) in ``n_jobs`` simulated slots on a simulated clock (``mobisweep.replay.simulator``).
Under any other sweeper (Hydra's basic one), each job returns its recorded objectives at once.
Hydra imports this module at every start: the replay machinery is imported when a sweep uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf


class ReplayLauncher(Launcher):
    def __init__(self, table: str | None = None, seed: int = 0, n_jobs: int = 1) -> None:
        self.table_path, self.seed, self.n_jobs = table, int(seed), int(n_jobs)
        self._table: Any = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.hydra_context, self.config = hydra_context, config

    @property
    def table(self) -> Any:
        if self._table is None:
            from mobisweep.core.errors import ConfigError
            from mobisweep.replay.table import RecordedTable

            if not self.table_path:
                raise ConfigError("hydra.launcher.table", None,
                                  "name a recorded sweep folder (its trials.csv and curves.csv)")
            self._table = RecordedTable(Path(self.table_path))
        return self._table

    def table_costs(self) -> Any:
        """The costs the sweeper checks points and budgets with: the table's."""
        from mobisweep.replay.simulator import TableCosts

        return TableCosts(self.table, list(self.config.objectives))

    def simulator(self, study: Any, objectives: Sequence[str], pruner: Any, size: int) -> Any:
        """The sweep loop's slots: ``size`` simulated ones."""
        from mobisweep.replay.simulator import SimulatedSlots

        return SimulatedSlots(self.table, self.seed, study, objectives, pruner, size)

    def finish(self, study: Any, sweep_dir: Path) -> Any:
        """What the replay found, against the whole table: printed, nothing written."""
        from mobisweep.config.console import output_console
        from mobisweep.replay.outcome import describe, outcome

        found = outcome(study, self.table, list(self.config.objectives), seed=self.seed)
        output_console().print(describe(found))
        return found

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
               ) -> Sequence[JobReturn]:
        """Another sweeper's batch: each job's recorded objectives, by its composed config."""
        from mobisweep.replay.simulator import objectives_of

        returns: list[JobReturn] = []
        for overrides in job_overrides:
            cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            point = {k: OmegaConf.select(cfg, k) for k in self.table.params
                     if OmegaConf.select(cfg, k, default=None) is not None}
            values = list(objectives_of(self.table.draw(point, self.seed),
                                        list(cfg.objectives)).values())
            ret = JobReturn(overrides=list(overrides), cfg=cfg, hydra_cfg=None,
                            working_dir=str(Path.cwd()), task_name=cfg.hydra.job.name,
                            status=JobStatus.COMPLETED)
            ret.return_value = values[0] if len(values) == 1 else values
            returns.append(ret)
        return returns
