"""A property-based fuzzer over every field of every config group a trial is made of: for a hostile
value of each kind, everything a run does before its first training step (checks, the model's
shapes, the data module and its data, the optimizer, schedule, module and trainer) either accepts
the config or refuses it with a ``ConfigError``, the one-line refusal a user sees. Any other
exception is a crash a user would meet as a traceback, and fails the test with the field and value.

The end-to-end form of the same property (exit 2, one line, nothing trained) is what
``test_bad_input.py`` runs through ``python -m mobisweep`` for the README's cases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import DictConfig, OmegaConf

from mobisweep.config.loading import CONFIG_DIR, config_composer
from mobisweep.config.paths_check import check_paths
from mobisweep.core.errors import ConfigError
from mobisweep.core.instantiate import instantiate_node
from mobisweep.data import fashion_mnist
from mobisweep.train.assembly import assemble

TINY_IMAGENET = CONFIG_DIR.parent.parent / "shared" / "data" / "tiny-imagenet-200.tar.gz"

# The data every other group is fuzzed on: real, small, on every machine (scikit-learn's digits).
BASE = ["data=digits", "data.train_subset=64", "data.val_subset=null", "logger=csv",
        "latency=none"]
# Data groups whose data is here: each is fuzzed in its own fields.
DATA = {"digits": [], "fashion_mnist": ["data.train_subset=64", "data.val_subset=64"],
        "tiny_imagenet": [f"data.root={TINY_IMAGENET}", "data.classes=2",
                          "data.train_subset=64", "data.val_subset=64"]}
GROUPS = {"model": None, "optimizer": None, "scheduler": None, "trainer": ["default"],
          "latency": None}
# A hostile value of each kind, as a command-line override writes it.
HOSTILE = ["0", "-1", "nan", "inf", "-inf", "1e9", str(2**63), "''", "[1,2]", "abc", "true",
           "null", "{a: 1}"]
HOSTILE_PATHS = ["/proc/mobisweep", "{file}/under_a_file", "''", "/dev/null/x"]
# Values that a config takes from elsewhere are fuzzed where they are set, not where they are read.
NOT_FUZZED = {"_target_", "_partial_", "num_classes", "seed", "save_dir", "group", "settings",
              "download", "download_root"}


def leaves(node: DictConfig, prefix: str) -> Iterator[str]:
    for key in node:
        if key in NOT_FUZZED:
            continue
        value = node._get_node(key)
        if OmegaConf.is_dict(value):
            yield from leaves(value, f"{prefix}.{key}")
        else:
            yield f"{prefix}.{key}"


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def fuzz_targets() -> list[tuple[list[str], str]]:
    """``(overrides choosing the group option, field)`` for every field of every option."""
    targets = []
    with config_composer() as compose:
        for group, chosen in GROUPS.items():
            for option in chosen or options(group):
                picked = [*BASE, f"{group}={option}"]
                targets += [(picked, field) for field in leaves(compose(picked)[group], group)]
        for option, extra in DATA.items():
            picked = [o for o in BASE if not o.startswith("data")] + [f"data={option}", *extra]
            targets += [(picked, field) for field in leaves(compose(picked).data, "data")]
    return targets


TARGETS = fuzz_targets()


def before_training(cfg: DictConfig, out: Path) -> None:
    """What a run does before its first training step, in its order."""
    from mobisweep.train.lightning_module import ClassificationModule
    from mobisweep.train.run import make_trainer

    check_paths(cfg, multirun=False)
    trial = assemble(cfg)
    datamodule = instantiate_node(cfg.data, field="data")
    if hasattr(datamodule, "check"):
        datamodule.check()
    optimizer = instantiate_node(cfg.optimizer, field="optimizer")
    scheduler = instantiate_node(cfg.scheduler, field="scheduler") if cfg.get("scheduler") else None
    ClassificationModule(trial.model, num_classes=cfg.data.num_classes, optimizer=optimizer,
                         scheduler=scheduler, **cfg.module)
    make_trainer(cfg, out, None, [])


def skip_missing_data(overrides: list[str]) -> None:
    if "data=fashion_mnist" in overrides and not fashion_mnist.DEBIAN_DIR.is_dir():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    if "data=tiny_imagenet" in overrides and not TINY_IMAGENET.is_file():
        pytest.skip(f"needs the Tiny ImageNet archive at {TINY_IMAGENET}")


def test_the_fuzzer_covers_every_group():
    fields = {field for _, field in TARGETS}
    assert {"model.alpha", "data.resolution", "data.batch_size", "optimizer.lr",
            "scheduler.warmup_epochs", "trainer.max_epochs", "latency.lock_file",
            "data.val_fraction", "data.cache_dir"} <= fields
    assert len(TARGETS) > 100


@settings(max_examples=int(os.environ.get("MOBISWEEP_FUZZ_EXAMPLES", 150)),
          deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), kind=st.sampled_from(["value", "path"]),
       value=st.sampled_from(HOSTILE), path=st.sampled_from(HOSTILE_PATHS))
def test_a_hostile_value_is_accepted_or_refused_in_one_line(tmp_path_factory, target, kind, value,
                                                            path):
    overrides, field = target
    skip_missing_data(overrides)
    out = tmp_path_factory.mktemp("run")
    a_file = out / "a_file"
    a_file.write_text("")
    hostile = path.format(file=a_file) if kind == "path" else value
    override = f"{field}={hostile}"
    with config_composer() as compose:
        try:
            cfg = compose([*overrides, override, f"paths.data_dir={out / 'data'}"])
        except Exception as error:  # noqa: BLE001 - Hydra's own refusal of the override's syntax
            assert type(error).__module__.startswith(("hydra", "omegaconf")), (override, error)
            return
    torch.set_num_threads(1)
    try:
        before_training(cfg, out)
    except ConfigError as error:
        assert "\n" not in str(error), (override, str(error))
    except Exception as error:  # noqa: BLE001 - what the fuzzer is for
        pytest.fail(f"{override}: {type(error).__name__}: {str(error).splitlines()[0][:300]}")
