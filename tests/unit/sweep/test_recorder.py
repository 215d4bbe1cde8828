"""What the study learns of each trial (``mobisweep.sweep.recorder``), on an in-memory study."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from mobisweep.core.errors import ConfigError
from mobisweep.sweep.hook import SweepHook
from mobisweep.sweep.recorder import Pruned, Recorder
from mobisweep.sweep.trial_attrs import (
    ERROR,
    INTERRUPTED,
    OUTPUT_DIR,
    REFUSED,
    RESUMED_FROM,
    RETRY_OF,
    SKIPPED,
)

from .helpers import job_return, memory_study


def ended(study, ret, n_objectives=1, hook=None):
    trial = study.ask()
    state = Recorder(study, n_objectives, hook).finished(trial, ret)
    frozen = study.get_trials()[-1]
    assert frozen.state == state
    return frozen


def test_values_complete_a_trial() -> None:
    study = memory_study(("maximize", "minimize"))
    trial = ended(study, job_return([0.5, 3]), n_objectives=2)
    assert trial.state == TrialState.COMPLETE and trial.values == [0.5, 3.0]


@pytest.mark.parametrize(("value", "said"), [
    ([1.0, 2.0], "the trial returned 2 objectives, the study has 1"),
    (float("nan"), "non-finite objective"),
    ("abc", "could not convert"),
])
def test_a_value_that_is_not_the_studys_fails_the_trial(value, said) -> None:
    trial = ended(memory_study(), job_return(value))
    assert trial.state == TrialState.FAIL and said in trial.user_attrs[ERROR]


def test_the_jobs_own_error_fails_the_trial() -> None:
    trial = ended(memory_study(), job_return(error=ValueError("out of memory")))
    assert trial.user_attrs[ERROR] == "ValueError: out of memory"


def test_a_pruned_trial_keeps_its_reason() -> None:
    trial = ended(memory_study(), job_return(Pruned("pruned after epoch 2")))
    assert trial.state == TrialState.PRUNED and trial.user_attrs[SKIPPED] == "pruned after epoch 2"


def test_the_hook_adds_what_the_trial_wrote(tmp_path) -> None:
    class Figures(SweepHook):
        def trial_figures(self, output_dir: Path) -> dict:
            return {"top5": float((output_dir / "top5.txt").read_text())}

    (tmp_path / "top5.txt").write_text("0.9")
    ret = job_return(0.5)
    ret.hydra_cfg = {"hydra": {"runtime": {"output_dir": str(tmp_path)}}}
    from omegaconf import OmegaConf

    ret.hydra_cfg = OmegaConf.create(ret.hydra_cfg)
    assert ended(memory_study(), ret, hook=Figures()).user_attrs["top5"] == 0.9


def test_refused_skipped_and_abandoned_trials() -> None:
    study = memory_study()
    recorder = Recorder(study, 1)
    recorder.refused(study.ask(), ConfigError("model.alpha", 0, "must be > 0"))
    recorder.skipped(study.ask(), "over budget: cost/mult_adds_M 300.00 > 150")
    recorder.abandoned(study.ask(), KeyboardInterrupt())
    recorder.abandoned(study.ask(), RuntimeError("the launcher cannot submit"))
    refused, skipped, interrupted, abandoned = study.get_trials()
    assert refused.state == TrialState.FAIL and refused.user_attrs[REFUSED]
    assert refused.user_attrs[ERROR] == "model.alpha=0: must be > 0"
    assert skipped.state == TrialState.PRUNED
    assert interrupted.state == TrialState.FAIL and interrupted.user_attrs[INTERRUPTED]
    assert abandoned.state == TrialState.FAIL and not abandoned.user_attrs[INTERRUPTED]


def test_a_retry_resumes_from_the_checkpoint_its_attempt_left(tmp_path) -> None:
    class Checkpoints(SweepHook):
        def checkpoint(self, output_dir: Path) -> Path | None:
            path = output_dir / "last.ckpt"
            return path if path.is_file() else None

    study = memory_study()
    recorder = Recorder(study, 1, Checkpoints())
    first = study.ask()
    first.set_user_attr(OUTPUT_DIR, str(tmp_path))
    recorder.abandoned(first, KeyboardInterrupt())
    study.enqueue_trial({}, user_attrs={RETRY_OF: first.number})
    retry = study.ask()
    assert recorder.resume_checkpoint(retry) is None  # the attempt saved none
    (tmp_path / "last.ckpt").write_text("weights")
    assert recorder.resume_checkpoint(retry) == str(tmp_path / "last.ckpt")
    # A retry of a retry that saved none resumes from what the one before resumed from.
    retry.set_user_attr(RESUMED_FROM, "/earlier/last.ckpt")
    retry.set_user_attr(OUTPUT_DIR, str(tmp_path / "elsewhere"))
    recorder.abandoned(retry, KeyboardInterrupt())
    study.enqueue_trial({}, user_attrs={RETRY_OF: retry.number})
    assert recorder.resume_checkpoint(study.ask()) == "/earlier/last.ckpt"
