"""What mobisweep refuses, row by row: the table in the README, each row run for real as a sweep.

Every row: one line naming the field, a non-zero exit, no trial left RUNNING in the storage (a
refused sweep asks for no trial at all), and nothing trained. The README's table must list every
message here, so the two cannot drift apart.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from mobisweep.data import fashion_mnist
from mobisweep.sweep.space import parse_search_space
from mobisweep.sweep.study import describe_space
from mobisweep.sweep.trial_attrs import SEARCH_SPACE
from tests.conftest import REPO, TINY_TRIAL, run_module

# (row, overrides, the message on stderr, exit code). {tmp} is the test's temporary folder.
CASES = [
    (
        "alpha",
        ["model.alpha=0"],
        "model.alpha=0: the width multiplier must be a finite number > 0",
        2,
    ),
    (
        "alpha in a grid",
        ["model.alpha=choice(1.0,-0.5)"],
        "model.alpha=-0.5: the width multiplier must be a finite number > 0",
        2,
    ),
    ("rho", ["data.rho=0"], "data.rho=0: the resolution multiplier must be a finite number > 0", 2),
    (
        "rho too small",
        ["data.rho=choice(1.0,0.5)"],
        "data.resolution=28: mobilenet_v1-1.0 needs at least 32 px",
        2,
    ),
    ("depth", ["model.depth=7"], "model.depth=7: must be an integer in 0..5", 2),
    ("block", ["model.block=dense"], "model.block='dense': must be one of separable, full", 2),
    ("epochs", ["trainer.max_epochs=0"], "trainer.max_epochs=0: must be an integer >= 1", 2),
    ("batch size", ["data.batch_size=0"], "data.batch_size=0: must be an integer >= 1", 2),
    (
        "budget value",
        ["+sweep.budget.mult_adds_M=-5"],
        "sweep.budget.mult_adds_M=-5: must be a number > 0",
        2,
    ),
    (
        "budget name",
        ["+sweep.budget.flops=10"],
        "sweep.budget.flops=10: budgets: mult_adds_M, params_M, latency_ms, deploy_latency_ms",
        2,
    ),
    (
        "deployment resolution",
        ["latency.resolution=0"],
        "latency.resolution=0: must be an integer >= 1",
        2,
    ),
    (
        "deployment latency objective without its resolution",
        ["latency=eager", "objectives=[val/acc1,latency_deploy/median_ms]"],
        "latency.resolution=None: a latency_deploy/* objective needs the deployment resolution "
        "(px)",
        2,
    ),
    ("unknown config group option", ["model=foo"], "In 'config': Could not find 'model/foo'", 1),
    (
        "sweep param that names no key",
        ["model.width=0.5,0.25"],
        "hydra.sweeper.params.model.width=None: names no key of the config",
        2,
    ),
    (
        "direction",
        ["hydra.sweeper.direction=[maximise,minimize]"],
        "hydra.sweeper.direction='maximise': must be maximize or minimize",
        2,
    ),
    (
        "one direction per objective",
        ["hydra.sweeper.direction=[maximize]"],
        "hydra.sweeper.direction=['maximize']: one direction per objective",
        2,
    ),
    ("retries", ["hydra.sweeper.max_retries=-1"], "hydra.sweeper.max_retries=-1: must be >= 0", 2),
    (
        "heartbeat",
        ["hydra.sweeper.heartbeat_interval=60", "hydra.sweeper.grace_period=30"],
        "hydra.sweeper.grace_period=30: must exceed heartbeat_interval=60",
        2,
    ),
    (
        "unreachable storage",
        ["hydra.sweeper.storage=postgresql://mobisweep@127.0.0.1:1/studies"],
        "hydra.sweeper.storage='postgresql://mobisweep@127.0.0.1:1/studies': connection failed",
        2,
    ),
    (
        "password in the URL",
        ["hydra.sweeper.storage=postgresql://mobisweep:s3cret@127.0.0.1:1/x"],
        "hydra.sweeper.storage='postgresql://mobisweep:***@127.0.0.1:1/x': no password in the URL",
        2,
    ),
    (
        "study with other directions",
        ["study_name=other_directions"],
        "hydra.sweeper.direction=['maximize', 'minimize']: study 'other_directions' in this "
        "storage was created with ['minimize', 'minimize']",
        2,
    ),
    (
        "study with another search space",
        ["study_name=other_space"],
        "study 'other_space' was created with another search space: data.rho (absent) -> "
        "choice(0.571, 0.714, 0.857, 1.0)",
        2,
    ),
    ("learning rate", ["optimizer.lr=nan"], "optimizer.lr=nan: must be a finite number > 0", 2),
    ("latency runs", ["latency.min_runs=0"], "latency.min_runs=0: must be an integer >= 1", 2),
    (
        "study name",
        ["study_name='a/b'"],
        "study_name='a/b': must be a non-empty name without / \\ or control characters",
        2,
    ),
    (
        "resolution beyond memory",
        ["data.resolution=100000"],
        "data.resolution=100000: a batch of input images alone needs",
        2,
    ),
    (
        "training step beyond memory",
        ["data.resolution=2000"],
        "data.batch_size=64: a training step needs about",
        2,
    ),
    (
        "width beyond memory",
        ["model.alpha=1e9"],
        "model.alpha=1000000000.0: the model's weights alone need",
        2,
    ),
    (
        "batch beyond memory",
        ["data.batch_size=100000000"],
        "data.batch_size=100000000: a batch of input images alone needs",
        2,
    ),
    (
        "validation share",
        ["data.val_fraction=1.5"],
        "data.val_fraction=1.5: the share of images held out for validation must be in (0, 1)",
        2,
    ),
    (
        "trainer argument",
        ["trainer.limit_val_batches=-1"],
        "trainer='lightning.pytorch.Trainer': MisconfigurationException: You have passed invalid "
        "value -1 for limit_val_batches",
        2,
    ),
    (
        "missing data set",
        ["data=folder", "data.root={tmp}/nowhere", "data.num_classes=10"],
        "no train or val folder there",
        2,
    ),
    (
        "corrupt data set",
        ["data=fashion_mnist", "data.root={tmp}/fmnist", "data.train_subset=300"],
        "t10k-labels-idx1-ubyte.gz: truncated",
        2,
    ),
]


def prepare(tmp_path: Path, row: str, storage: str) -> None:
    """The state a row needs: an existing study that disagrees, a corrupt data set."""
    if row in ("study with other directions", "study with another search space"):
        name = "other_directions" if "directions" in row else "other_space"
        directions = ["minimize", "minimize"] if "directions" in row else ["maximize", "minimize"]
        study = optuna.create_study(study_name=name, storage=storage, directions=directions)
        study.set_user_attr(SEARCH_SPACE, describe_space(parse_search_space(
            {"model.alpha": "choice(1.0)"})))
    if row == "corrupt data set":
        if not fashion_mnist.DEBIAN_DIR.is_dir():
            pytest.skip("needs Debian's dataset-fashion-mnist")
        shutil.copytree(fashion_mnist.DEBIAN_DIR, tmp_path / "fmnist")
        with gzip.open(tmp_path / "fmnist" / "t10k-labels-idx1-ubyte.gz", "wb") as stream:
            stream.write(b"\x00\x00\x08\x01\x00\x00\x27\x10" + b"\x00" * 10)  # says 10000, holds 10


@pytest.mark.parametrize("row, overrides, message, code", CASES, ids=[c[0] for c in CASES])
def test_refused_with_one_line_naming_the_field(tmp_path, row, overrides, message, code):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    prepare(tmp_path, row, storage)
    overrides = [o.replace("{tmp}", str(tmp_path)) for o in overrides]
    tiny = [o for o in TINY_TRIAL if not o.startswith("data")] if any(
        o.startswith("data=") for o in overrides) else TINY_TRIAL
    result = run_module("mobisweep", "+sweep=alpha_rho", *tiny, f"hydra.sweeper.storage={storage}",
                        f"hydra.sweep.dir={tmp_path / 'sweep'}", *overrides, "-m",
                        env={"WANDB_MODE": "offline"})
    assert result.returncode == code, result.stderr[-2000:]
    assert message in result.stderr, result.stderr[-2000:]
    if code == 2:  # mobisweep's own: exactly one line
        assert [line for line in result.stderr.splitlines() if "error" in line] == \
            [line for line in result.stderr.splitlines() if line.startswith("mobisweep: error: ")]
        assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1
    assert "s3cret" not in result.stdout + result.stderr
    assert "Launching" not in result.stdout + result.stderr  # nothing ran
    if (tmp_path / "study.db").exists():
        for summary in optuna.get_all_study_summaries(storage):
            study = optuna.load_study(study_name=summary.study_name, storage=storage)
            assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    assert not list(tmp_path.rglob("result.json"))


def test_wrong_database_password_is_named_and_masked(tmp_path, postgres):
    database = postgres.create_database("wrong_password")
    result = run_module("mobisweep", "+sweep=alpha_rho", *TINY_TRIAL,
                        f"hydra.sweeper.storage={postgres.url(database)}",
                        f"hydra.sweep.dir={tmp_path / 'sweep'}", "-m",
                        env={"WANDB_MODE": "offline", "PGPASSWORD": "not-the-password"})
    assert result.returncode == 2
    line = f"hydra.sweeper.storage='{postgres.url(database)}': connection failed"
    assert line in result.stderr and "password authentication failed" in result.stderr
    assert "not-the-password" not in result.stdout + result.stderr
    assert not list(tmp_path.rglob("result.json"))


def test_the_password_never_lands_in_the_run_folder(tmp_path, postgres):
    """A real sweep on PostgreSQL: no file under the sweep folder holds the password."""
    database = postgres.create_database("no_secrets")
    result = run_module("mobisweep", "+sweep=alpha_rho", *TINY_TRIAL, "model.alpha=choice(0.25)",
                        "data.rho=1.0",
                        f"hydra.sweeper.storage={postgres.url(database)}",
                        f"hydra.sweep.dir={tmp_path / 'sweep'}", "-m",
                        env={"WANDB_MODE": "offline", "PGPASSWORD": postgres.password,
                             "WANDB_API_KEY": "k" * 40})
    assert result.returncode == 0, result.stderr[-3000:]
    files = [p for p in (tmp_path / "sweep").rglob("*") if p.is_file()]
    assert any(p.name == "result.json" for p in files) and any(p.suffix == ".yaml" for p in files)
    for path in files:
        data = path.read_bytes()
        assert postgres.password.encode() not in data, path
        assert b"k" * 40 not in data, path
    assert postgres.password not in result.stdout + result.stderr


def test_unreachable_wandb_goes_offline_with_one_warning(tmp_path):
    # logger.mode=auto follows WANDB_MODE: the user asked for online.
    result = run_module("mobisweep", *TINY_TRIAL[:-1], "logger.mode=auto", "data.train_subset=100",
                        f"hydra.run.dir={tmp_path}",
                        env={"WANDB_BASE_URL": "http://127.0.0.1:9", "WANDB_MODE": "online"})
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert len(re.findall(r"W&B server http://127.0.0.1:9 unreachable", output)) == 1
    assert (tmp_path / "result.json").is_file()
    assert list((tmp_path / "wandb").glob("offline-run-*"))


def test_the_readme_table_lists_every_refusal():
    readme = (REPO / "README.md").read_text()
    for row, _, message, _ in CASES:
        assert message in readme.replace("\\|", "|"), row


def imported_by(*args: str) -> tuple[list[str], set[str]]:
    """Run ``python -X importtime -m mobisweep args``: what it wrote on stderr and the top-level
    packages it imported (what a refusal costs does not depend on the machine's speed, what it
    imports does)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "mobisweep", *args],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    modules = {line.split("|")[-1].strip().split(".")[0] for line in lines
               if line.startswith("import time:")}
    return [line for line in lines if not line.startswith("import time:")], modules


def test_a_refused_value_imports_neither_torch_nor_lightning():
    said, modules = imported_by("trainer.max_epochs=0")
    assert said == ["mobisweep: error: trainer.max_epochs=0: must be an integer >= 1"]
    assert "hydra" in modules and not modules & {"torch", "lightning", "optuna", "wandb"}


@pytest.mark.parametrize("overrides", [
    ["model.alpha=0"], ["model.depth=-1"], ["model.block=dense"], ["model.dropout=1.5"],
    ["data=digits", "data.rho=0.5"], ["model=timm", "model.model_name=mobilenetv1_101"],
    ["model=mobilenet_shallow", "model.alpha=inf"],
    # torchvision would read any value but null or a weights name as "download the pretrained ones"
    ["model=vgg16", "model.weights=true"]], ids=lambda o: " ".join(o))
def test_a_refused_model_value_imports_no_torch(overrides):
    """MobileNet's own arguments, the resolution's lower bound and a timm name are checked from
    Table 1 and timm's sources, not by building the model: a refusal costs a second."""
    said, modules = imported_by(*overrides)
    assert len(said) == 1 and said[0].startswith("mobisweep: error: "), said
    assert not modules & {"torch", "timm", "lightning", "wandb"}
    if "model=timm" in overrides:
        assert said[0].startswith("mobisweep: error: model.model_name='mobilenetv1_101': not a "
                                  "timm model")


def test_timm_names_are_read_from_its_sources_as_timm_lists_them():
    import timm

    from mobisweep.models.timm_names import is_timm_model, timm_model_names

    assert set(timm.list_models()) <= timm_model_names()
    assert is_timm_model("mobilenetv1_100.ra4_e3600_r224_in1k") is True  # with a pretrained tag
    assert is_timm_model("mobilenetv1_101") is False
    assert is_timm_model("hf-hub:someone/model") is None  # resolved on the Hub: not judged here


def test_a_size_beyond_memory_is_refused_from_shapes_without_lightning():
    said, modules = imported_by("data.resolution=100000")  # the input alone: no model needed
    assert len(said) == 1 and said[0].startswith(
        "mobisweep: error: data.resolution=100000: a batch of input images alone needs")
    assert not modules & {"torch", "lightning", "wandb"}
    said, modules = imported_by("data=digits", "data.resolution=2000")  # the model's shapes
    assert len(said) == 1 and said[0].startswith(
        "mobisweep: error: data.batch_size=64: a training step needs about")
    assert "torch" in modules and not modules & {"lightning", "wandb"}
