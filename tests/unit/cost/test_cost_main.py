"""`python -m mobisweep.cost` as a user runs it: configs, one-YAML baselines, errors."""

from __future__ import annotations

import pytest
import torchvision
from omegaconf import OmegaConf

from mobisweep.config.loading import CONFIG_DIR, load_config
from mobisweep.cost.count import count_cost
from mobisweep.paper.counts import compare_with_paper
from mobisweep.train.assembly import build_and_count
from tests.conftest import run_module

MODEL_CONFIGS = sorted(p.stem for p in (CONFIG_DIR / "model").glob("*.yaml"))
BASELINE_CONFIGS = sorted(p.stem for p in (CONFIG_DIR / "baseline").glob("*.yaml"))


def test_every_model_config_is_listed():
    assert {"mobilenet", "googlenet", "squeezenet", "vgg16", "alexnet", "timm"} <= set(
        MODEL_CONFIGS
    )


@pytest.mark.parametrize("name", MODEL_CONFIGS)
def test_every_model_config_builds_and_is_counted(compose_cost, name):
    cfg = compose_cost([f"model={name}"])
    model, cost = build_and_count(cfg)
    assert cost.resolution == 224 and cost.mult_adds > 0 and cost.params > 0
    assert model.training  # counting leaves the model ready to train


@pytest.mark.parametrize("name", BASELINE_CONFIGS)
def test_a_baseline_sets_its_network_and_its_recipe_and_the_sweep_grids_over_them(name):
    """``baseline=squeezenet``: the network with the optimizer setting it learns under; the sweep's
    shared budget (data, epochs) stays the sweep's, and the command line still wins."""
    cfg = load_config(["+sweep=baselines", f"baseline={name}"])
    assert cfg.model == load_config([f"model={name}"]).model
    assert cfg.data.base_resolution == 64 and cfg.trainer.max_epochs == 1
    optimizer = "RMSprop" if name == "squeezenet" else "SGD"
    assert cfg.optimizer._target_ == f"torch.optim.{optimizer}"
    assert cfg.scheduler.warmup_epochs > 0
    assert load_config([f"baseline={name}", "optimizer.lr=0.123"]).optimizer.lr == 0.123
    sweep = OmegaConf.load(CONFIG_DIR / "sweep" / "baselines.yaml")
    assert name in sweep.hydra.sweeper.params.baseline


def test_baselines_next_to_the_paper(compose_cost):
    by_name = {c.row.name: c for c in compare_with_paper(
        lambda overrides: build_and_count(compose_cost(overrides))[1])}
    # torchvision's variants are not the paper's: the figures are reported, and the gaps explained.
    assert by_name["VGG 16"].cost.params_M == pytest.approx(138, abs=0.5)
    assert by_name["Squeezenet"].cost.params_M == pytest.approx(1.25, abs=0.01)
    squeeze = by_name["Squeezenet"]
    assert 2 * squeeze.cost.mult_adds_M == pytest.approx(squeeze.row.mult_adds_M, rel=0.05)
    assert "1,638 M" in squeeze.note
    assert abs(by_name["AlexNet"].mult_adds_delta) < 10
    assert abs(by_name["GoogleNet"].mult_adds_delta) < 60
    for comparison in by_name.values():
        if "MobileNet" in comparison.row.name:
            assert abs(comparison.mult_adds_delta) <= 1 and abs(comparison.params_delta) <= 0.05


def test_cost_command_prints_the_breakdown():
    result = run_module(
        "mobisweep.cost", "model=mobilenet", "model.alpha=0.75", "data.resolution=192"
    )
    assert result.returncode == 0, result.stderr
    assert "mobilenet_v1-0.75 at 192x192: 239.27 M mult-adds, 2.569 M params" in result.stdout
    for label in ("Conv 1×1", "Conv DW", "Conv k×k (full)", "Fully connected"):
        assert label in result.stdout


def test_paper_table_shows_every_row_and_the_arithmetic():
    result = run_module("mobisweep.cost", "+table=paper")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in ("4,866.3 (with FC 4,867.3)", "10.84 M / 568.74 M", "sum to 99.29 %",
                 "1.91 %, not 1.19 %", "0.50 MobileNet-160", "Shallow MobileNet", "VGG 16",
                 "one-tower", "FLOP count"):
        assert text in out, text
    assert out.count("MobileNet-224") >= 6


def test_a_baseline_needs_one_yaml_file_and_no_code(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "mobilenet_v2.yaml").write_text(
        "_target_: torchvision.models.mobilenet_v2\nweights: null\n"
        "num_classes: ${data.num_classes}\n"
    )
    result = run_module(
        "mobisweep.cost", f"hydra.searchpath=[file://{tmp_path}]", "model=mobilenet_v2"
    )
    assert result.returncode == 0, result.stderr
    expected = count_cost(torchvision.models.mobilenet_v2(weights=None), 224)
    assert f"mobilenet_v2 at 224x224: {expected.mult_adds_M:,.2f} M mult-adds" in result.stdout


@pytest.mark.parametrize("override, message", [
    ("model.alpha=0", "model.alpha=0: the width multiplier must be a finite number > 0"),
    ("model.alpha=-0.5", "model.alpha=-0.5: the width multiplier must be a finite number > 0"),
    ("model.depth=6", "model.depth=6: must be an integer in 0..5"),
    ("model.block=dense", "model.block='dense': must be one of separable, full"),
    ("data.resolution=16", "data.resolution=16: mobilenet_v1-1.0 needs at least 32 px"),
    ("data.rho=0", "data.rho=0: the resolution multiplier must be a finite number > 0"),
    ("data.rho=-1", "data.rho=-1: the resolution multiplier must be a finite number > 0"),
    ("data.resolution=0", "data.resolution=0: must be a positive integer"),
])
def test_bad_input_is_one_line_naming_the_field(override, message):
    result = run_module("mobisweep.cost", override)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"mobisweep: error: {result.stderr.strip().split('error: ', 1)[1]}"
    )
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""  # refused before anything was counted


def test_a_model_that_cannot_run_at_that_resolution_is_named():
    result = run_module("mobisweep.cost", "model=alexnet", "data.resolution=32")
    assert result.returncode == 2
    assert result.stderr.startswith("mobisweep: error: data.resolution=32: the model cannot run")


def test_unknown_model_config_names_the_group_and_the_options():
    result = run_module("mobisweep.cost", "model=mobilenet_v9")
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == "In 'config': Could not find 'model/mobilenet_v9'"
    assert "squeezenet" in result.stderr


@pytest.mark.parametrize("group", ["sweep", "baseline"])
def test_global_configs_set_only_keys_the_config_has(group):
    """A ``@package _global_`` file sets keys of the whole config: a stray line (a comment that lost
    its ``#``) would add a key nothing reads, silently."""
    known = set(load_config()) | {"defaults", "hydra", "sweep"}
    for path in sorted((CONFIG_DIR / group).glob("*.yaml")):
        assert set(OmegaConf.load(path)) <= known, path.name
