"""The committed reference sweeps (sweeps/reference/[fashion_mnist/]<sweep>/trials.csv) agree with
mobisweep's own cost accounting: every trial's mult-adds and params are recounted from its config,
so the record cannot drift from the code that produced it. They hold no path of the machine they
ran on, and their figures are redrawn from the CSVs alone."""

from __future__ import annotations

import csv
import math
import shutil

import pytest

from mobisweep.config.loading import load_config
from mobisweep.paper.ladder import COMPARISONS
from mobisweep.paper.plots import draw_all
from mobisweep.paper.tables import SECTIONS
from mobisweep.reference import main as reference_main
from mobisweep.results.points import NOT_PARAMS, read_trials
from mobisweep.results.trials_csv import TRIALS_FILE
from mobisweep.train.assembly import build_and_count
from tests.conftest import REPO

REFERENCE = REPO / "sweeps" / "reference"
FOLDERS = {"tiny_imagenet": REFERENCE, "fashion_mnist": REFERENCE / "fashion_mnist"}
COMMITTED = [(data, sweep) for data, folder in FOLDERS.items() for sweep in SECTIONS
             if (folder / sweep / "trials.csv").is_file()]


def rows_of(data: str, sweep: str) -> list[dict[str, str]]:
    with (FOLDERS[data] / sweep / "trials.csv").open() as stream:
        return list(csv.DictReader(stream))


def overrides(row: dict[str, str]) -> list[str]:
    """The trial's parameters as Hydra overrides (``model`` is a config group choice), and the
    data it was counted on (classes, resolution) where trials.csv records them."""
    out = [f"{key}={value}" for key, value in row.items()
           if key not in NOT_PARAMS and "/" not in key and value != ""]
    for key in ("num_classes", "resolution"):
        if row.get(f"config/{key}"):
            out.append(f"data.{key}={row[f'config/{key}']}")
    return out


def test_the_tiny_imagenet_reference_and_the_fashion_mnist_one_are_committed():
    committed = set(COMMITTED)
    assert {("tiny_imagenet", "alpha_rho"), ("tiny_imagenet", "thin_vs_shallow")} <= committed
    # The ladders and the design space were recorded on Tiny ImageNet only.
    assert {("fashion_mnist", sweep) for sweep in SECTIONS
            if sweep not in COMPARISONS and sweep != "design_space"} <= committed


@pytest.mark.parametrize("data, sweep", COMMITTED)
def test_reference_trials_agree_with_the_cost_accounting(data, sweep):
    complete = [r for r in rows_of(data, sweep) if r["state"] == "COMPLETE"]
    assert complete, f"{data}/{sweep}: no complete trial"
    for row in complete:
        cfg = load_config([f"+sweep={sweep}", *overrides(row)])
        _, cost = build_and_count(cfg)
        assert math.isclose(float(row["cost/mult_adds_M"]), cost.mult_adds_M, rel_tol=1e-9), row
        assert math.isclose(float(row["cost/params_M"]), cost.params_M, rel_tol=1e-9), row
        assert 0 < float(row["val/acc1"]) <= 1
        assert not row["result_path"].startswith("/"), "a path of the machine it ran on"


@pytest.mark.parametrize("data", FOLDERS)
def test_alpha_rho_reference_holds_the_whole_grid(data):
    rows = [r for r in rows_of(data, "alpha_rho") if r["state"] == "COMPLETE"]
    points = {(float(r["model.alpha"]), float(r["data.rho"])) for r in rows}
    assert points == {(a, r) for a in (1.0, 0.75, 0.5, 0.25) for r in (1.0, 0.857, 0.714, 0.571)}


def test_figures_are_redrawn_from_the_csvs_alone(tmp_path):
    for data, sweep in COMMITTED:
        target = tmp_path / data / sweep
        target.mkdir(parents=True)
        for name in ("trials.csv", "curves.csv"):
            if (FOLDERS[data] / sweep / name).is_file():
                shutil.copy(FOLDERS[data] / sweep / name, target)
    for data in FOLDERS:
        written = draw_all(tmp_path / data)
        assert {p.parent.name for p in written if p.name == "vs_paper.png"} == \
            {sweep for d, sweep in COMMITTED
             if d == data and sweep not in COMPARISONS and sweep != "design_space"}
        assert {p.parent.name for p in written if p.name == "design_space.png"} == \
            {sweep for d, sweep in COMMITTED if d == data and sweep == "design_space"}
        assert {p.parent.name for p in written if p.name == "gap_vs_budget.png"} == \
            {sweep for d, sweep in COMMITTED if d == data and sweep in COMPARISONS}
        assert all(p.stat().st_size > 10_000 for p in written)


def test_reference_tables_print_from_the_committed_csvs(capsys):
    reference_main([str(REFERENCE)])
    out = capsys.readouterr().out
    assert "### Budgets (from the trials' own records)" in out
    assert "Spearman rank correlation" in out and "Thinner minus shallower" in out


def test_the_reference_readme_holds_the_tables_the_csvs_print(capsys):
    """``sweeps/reference/README.md`` shows the tables ``python -m mobisweep.reference`` prints from
    the committed CSVs, to the character: a changed CSV or table code fails here until the README
    is regenerated (``make reference-tables``)."""
    reference_main([str(REFERENCE)])
    printed = capsys.readouterr().out
    readme = (REFERENCE / "README.md").read_text()
    head = "## The tables (`python -m mobisweep.reference`)\n\n"
    assert head in readme
    assert readme[readme.index(head) + len(head):].rstrip("\n") == printed.rstrip("\n")


@pytest.mark.parametrize("name", sorted(p.stem.removeprefix("reference_") for p in
                                        (REPO / "conf" / "experiment").glob("reference_*.yaml")))
def test_each_reference_recipe_is_the_one_its_trials_recorded(compose, name):
    """``+experiment=reference_<sweep>`` composes the recipe the committed trials ran with."""
    rows = read_trials(REFERENCE / name / TRIALS_FILE)
    cfg = compose([f"+experiment=reference_{name}"])
    assert cfg.study_name == f"reference_{name}"
    for row in rows:
        assert int(row["config/num_classes"]) == cfg.data.num_classes
        assert int(row["config/train_images"]) == 500 * cfg.data.num_classes  # the whole data
        assert row["config/data"] == "TinyImageNet"
        if not name.endswith("_ladder"):  # a ladder sweeps its budgets
            assert int(row["config/max_epochs"]) == cfg.trainer.max_epochs
        if "baseline" not in row:  # a baseline brings its own optimizer
            assert float(row["config/lr"]) == cfg.optimizer.lr
            if row.get("config/warmup_epochs"):  # recorded since the ladders
                assert float(row["config/warmup_epochs"]) == cfg.scheduler.warmup_epochs
