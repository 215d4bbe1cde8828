"""Budget ladders: a comparison swept over trainer.max_epochs (each budget a complete schedule), and
the gap ± SE per budget with its verdict, read from trials.csv alone."""

from __future__ import annotations

import csv
import shutil

import pytest

from mobisweep.paper.ladder import COMPARISONS, ladder_table, rungs, trend, verdict
from mobisweep.paper.ladder_plots import draw_gap_vs_budget
from tests.conftest import run_module


def rows_for(ladder: dict[int, tuple[list[float], list[float]]]) -> list[dict[str, str]]:
    """trials.csv rows of a thin-vs-shallow ladder: budget -> (thinner's, shallower's top-1 by
    seed)."""
    rows, number = [], 0
    for epochs, (thin, shallow) in ladder.items():
        for model, values in (("mobilenet_075", thin), ("mobilenet_shallow", shallow)):
            for seed, top1 in enumerate(values):
                rows.append({"number": str(number), "state": "COMPLETE", "trainer.max_epochs":
                             str(epochs), "model": model, "seed": str(seed), "val/acc1": str(top1),
                             "config/val_images": "1000"})
                number += 1
    return rows


THIN_VS_SHALLOW = COMPARISONS["thin_vs_shallow_ladder"]


def test_a_gap_that_still_moves_is_said_to_move():
    found = rungs(THIN_VS_SHALLOW, rows_for({8: ([.30, .31, .32], [.40, .41, .42]),
                                             16: ([.40, .41, .42], [.45, .46, .47])}))
    assert [r.epochs for r in found] == [8, 16] and [r.n for r in found] == [3, 3]
    assert found[0].gap == pytest.approx(-0.10) and found[1].gap == pytest.approx(-0.05)
    assert found[0].se == pytest.approx(0.0, abs=1e-12)  # the same gap at every seed
    text = verdict(THIN_VS_SHALLOW, found)
    assert text.startswith("at 16 epochs: Shallow MobileNet ahead (-5.00 ± 0.00, n=3)")
    assert "still moving (+5.00 points from 8 epochs" in text


def test_a_gap_within_two_standard_errors_of_the_budget_before_has_converged():
    found = rungs(THIN_VS_SHALLOW, rows_for({16: ([.50, .55, .52], [.49, .50, .53]),
                                             32: ([.52, .56, .53], [.50, .52, .55])}))
    # Gaps +1.67 and +1.33 with standard errors of about 1.2: a tie, and no longer moving.
    text = verdict(THIN_VS_SHALLOW, found)
    assert "a tie within 2 SE" in text and "converged" in text
    table = "\n".join(ladder_table("thin_vs_shallow_ladder", rows_for(
        {16: ([.50, .55, .52], [.49, .50, .53]), 32: ([.52, .56, .53], [.50, .52, .55])})))
    assert "| 32 | 53.67 ± 2.08 | 52.33 ± 2.52 | +1.33 ± " in table and "(within 2 SE)" in table


def test_a_noisy_rung_cannot_hide_a_trend_over_the_whole_ladder():
    # From 32 to 64 epochs the gap moves less than the noisy 32-epoch rung's 2 SE ("converged"),
    # yet it grows at every doubling: the slope over all four budgets says so.
    found = rungs(THIN_VS_SHALLOW, rows_for({8: ([.30, .31, .32], [.36, .37, .385]),
                                             16: ([.40, .41, .42], [.445, .45, .46]),
                                             32: ([.44, .50, .46], [.47, .49, .50]),
                                             64: ([.50, .51, .52], [.505, .51, .53])}))
    text = verdict(THIN_VS_SHALLOW, found)
    assert "converged (+1.50 points from 32 epochs" in text
    slope = trend(found)
    assert slope is not None and slope.budgets == 4 and slope.slope > 2 * slope.se
    assert f"over all 4 budgets the gap moves {100 * slope.slope:+.2f} ± " in text
    assert text.endswith("(beyond 2 SE: it still trends)")


def test_a_flat_ladder_has_no_trend_and_two_budgets_have_no_slope():
    flat = {epochs: ([.50, .52, .51], [.51, .525, .525]) for epochs in (8, 16, 32)}
    flat[16] = ([.52, .51, .50], [.525, .525, .51])
    found = rungs(THIN_VS_SHALLOW, rows_for(flat))
    slope = trend(found)
    assert slope is not None and abs(slope.slope) <= 2 * slope.se
    assert verdict(THIN_VS_SHALLOW, found).endswith("(within 2 SE: no trend)")
    assert trend(found[:2]) is None


def test_a_budget_with_one_network_only_is_not_a_rung_yet():
    rows = rows_for({8: ([.3], [.4])}) + [r for r in rows_for({16: ([.5], [.6])})
                                          if r["model"] == "mobilenet_075"]
    found = rungs(THIN_VS_SHALLOW, rows)
    assert [r.epochs for r in found] == [8]
    assert "one budget only" in verdict(THIN_VS_SHALLOW, found)
    # One seed: the standard error is the binomial one of both figures on 1,000 images.
    assert found[0].se == pytest.approx(((.3 * .7 + .4 * .6) / 1000) ** 0.5)


@pytest.mark.slow  # a ladder of real sweeps; CI runs it (make test-slow)
def test_the_ladder_sweep_runs_each_budget_as_its_own_schedule_smallest_first(tmp_path):
    result = run_module("mobisweep", "+sweep=thin_vs_shallow_ladder", "data=digits",
                        "data.train_subset=200", "latency=none", "logger.mode=offline",
                        "trainer.max_epochs=choice(1,2)", "seed=choice(0,1)", "-m", cwd=tmp_path,
                        env={"WANDB_MODE": "offline"})
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "sweeps" / "thin_vs_shallow_ladder"
    rows = list(csv.DictReader((folder / "trials.csv").open()))
    by_number = sorted(rows, key=lambda r: int(r["number"]))
    assert [r["trainer.max_epochs"] for r in by_number] == ["1"] * 4 + ["2"] * 4
    assert all(r["state"] == "COMPLETE" and r["config/max_epochs"] == r["trainer.max_epochs"]
               for r in rows)
    epochs_run: dict[str, int] = {}
    for row in csv.DictReader((folder / "curves.csv").open()):
        epochs_run[row["number"]] = epochs_run.get(row["number"], 0) + 1
    assert {r["number"]: int(r["trainer.max_epochs"]) for r in rows} == epochs_run

    reference = tmp_path / "reference" / "thin_vs_shallow_ladder"
    reference.mkdir(parents=True)
    shutil.copy(folder / "trials.csv", reference)
    shutil.copy(folder / "curves.csv", reference)
    table = "\n".join(ladder_table("thin_vs_shallow_ladder", rows))
    assert "| 1 | " in table and "| 2 | " in table and "at 2 epochs:" in table
    printed = run_module("mobisweep.reference", str(tmp_path / "reference"), cwd=tmp_path)
    assert printed.returncode == 0 and "### `thin_vs_shallow_ladder`" in printed.stdout
    assert "at 2 epochs:" in printed.stdout
    drawn = draw_gap_vs_budget("thin_vs_shallow_ladder", rows, reference)
    assert drawn.name == "gap_vs_budget.png" and drawn.stat().st_size > 10_000
