"""Small real objects for the sweep's unit tests: an in-memory or journal study, a job's return."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn, JobStatus
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from mobisweep.sweep.space import parse_search_space

GRID = parse_search_space({"x": "choice(1, 2, 3)", "y": "choice(a, b)"})


def memory_study(directions: tuple[str, ...] = ("minimize",)) -> optuna.Study:
    return optuna.create_study(directions=list(directions),
                               sampler=optuna.samplers.RandomSampler(seed=0))


def journal_study(path: Path, name: str = "s") -> optuna.Study:
    return optuna.create_study(study_name=name, storage=JournalStorage(JournalFileBackend(
        str(path))), sampler=optuna.samplers.RandomSampler(seed=0))


def job_return(value: Any = None, error: BaseException | None = None) -> JobReturn:
    """What Hydra's launcher returns for one job: its value, or the exception it raised."""
    ret = JobReturn(overrides=[], cfg=None, hydra_cfg=None, working_dir=".", task_name="t")
    if error is not None:
        ret.status, ret._return_value = JobStatus.FAILED, error
    else:
        ret.status, ret.return_value = JobStatus.COMPLETED, value
    return ret
