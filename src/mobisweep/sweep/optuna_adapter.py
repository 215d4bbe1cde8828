"""What mobisweep needs of Optuna beyond its public API, in one module.

mobisweep drives its own ask/tell loop, shared by several workers, instead of ``Study.optimize``:
- Optuna records heartbeats only inside ``Study.optimize``, so the sweeper beats for its running
  trials itself: that needs the study's storage and each trial's storage id.
- A journal-file storage has no heartbeats of its own: a worker that finds another's trial silent
  marks it FAIL through the storage, which ``Study.tell`` cannot do for a trial it did not ask.
- ``BaseHeartbeat`` tells a storage that keeps Optuna's heartbeats from one that does not.
- A queued trial keeps its point in the system attribute ``fixed_params`` until it suggests it.
Each is one attribute or import; if Optuna renames one, this is the module to change.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.trial import FrozenTrial, TrialState


def storage_of(study: optuna.Study) -> BaseStorage:
    return study._storage


def trial_id(trial: optuna.Trial | FrozenTrial) -> int:
    """The trial's id in its storage (not its number in the study)."""
    return trial._trial_id


def has_native_heartbeat(storage: BaseStorage | None) -> bool:
    """An RDB storage with heartbeats on. (A study wraps it in Optuna's cache, which keeps the
    heartbeat API: ask for that API, not for the RDBStorage class.)"""
    return isinstance(storage, BaseHeartbeat) and storage.get_heartbeat_interval() is not None


def mark_failed(study: optuna.Study, trial: FrozenTrial) -> bool:
    """Mark another worker's RUNNING trial FAIL; False if it finished meanwhile."""
    try:
        return storage_of(study).set_trial_state_values(trial_id(trial), state=TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False


def running_trial(study: optuna.Study, number: int) -> optuna.Trial:
    """The RUNNING trial ``number`` of ``study`` as a ``Trial`` to report to, from any process (the
    one that asked for it may be another: joblib, submitit). Optuna hands out ``Trial`` objects
    only from ``ask``; building one needs the trial's storage id."""
    storage = storage_of(study)
    return optuna.trial.Trial(study, storage.get_trial_id_from_study_id_trial_number(
        study._study_id, number))


def enqueued_params(trial: FrozenTrial) -> dict[str, Any]:
    """The point ``Study.enqueue_trial`` queued a trial with (before the trial suggests it)."""
    return dict(trial.system_attrs.get("fixed_params", {}))
