"""Latencies that rank: networks timed side by side in interleaved rounds, a later network put on
the pass's scale by its references, and the figure a sweep's trial logs beside its own."""

from __future__ import annotations

import pytest
import torch
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from mobisweep.latency import side_by_side
from mobisweep.latency.measure import Latency
from mobisweep.models import MobileNetV1
from mobisweep.train.point_costs import side_by_side_override
from mobisweep.train.run import latency_figures


def test_a_pass_times_every_network_in_every_round_and_ranks_them_by_cost(tmp_path):
    networks = [(MobileNetV1(alpha=0.25, num_classes=10), 32), (MobileNetV1(num_classes=10), 96)]
    small, large = side_by_side.measure_side_by_side(networks, rounds=3, min_runs=8, warmup=2,
                                                     threads=1, turn_seconds=0.0,
                                                     lock_file=tmp_path / "lock")
    assert (small.runs, large.runs) == (24, 24)
    assert (small.resolution, large.resolution) == (32, 96)
    assert large.median_ms > small.median_ms  # 60x the mult-adds: apart on any CPU
    assert small.noisy == (small.cv > 0.05) and large.noisy == (large.cv > 0.05)


RAN: list[str] = []  # module-level: measure_latency times a deep copy of each network


class Recorded(torch.nn.Module):
    """A network that only notes that it ran (which one, in what order)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        RAN.append(self.name)
        return x


def test_each_round_starts_at_the_next_network():
    RAN.clear()
    networks = [(Recorded(name), 4) for name in "abc"]
    side_by_side.measure_side_by_side(networks, rounds=3, min_runs=2, max_runs=2, warmup=0,
                                      lock_file=None)
    # Three probe runs each, then each round's turns of two runs.
    assert "".join(RAN) == "aaabbbccc" + "aabbcc" + "bbccaa" + "ccaabb"


def test_a_turn_lasts_turn_seconds_within_min_and_max_runs():
    networks = [(MobileNetV1(alpha=0.25, num_classes=10), 32)]
    [fast] = side_by_side.measure_side_by_side(networks, rounds=1, min_runs=3, max_runs=10_000,
                                               turn_seconds=0.2, warmup=1, lock_file=None)
    # As many runs as fill 0.2 s at the probe's pace: far more than min_runs for a ~1 ms network.
    assert fast.runs > 3 and fast.runs * fast.median_ms > 0.2 * 1000 / 3
    [capped] = side_by_side.measure_side_by_side(networks, rounds=1, min_runs=3, max_runs=5,
                                                 turn_seconds=10.0, warmup=1, lock_file=None)
    assert capped.runs == 5


def fake_latency(median_ms: float, cv: float = 0.01) -> Latency:
    return Latency(backend="eager", device="cpu", threads=1, batch_size=1, resolution=32,
                   median_ms=median_ms, p90_ms=1.1 * median_ms, mean_ms=median_ms,
                   iqr_ms=0.1 * median_ms, cv=cv, runs=5, noisy=False, window=(0.0, 1.0))


def test_a_later_network_is_scaled_by_how_its_references_ran_this_time(monkeypatch):
    # This time the machine runs everything 1.5x slower than in the pass: the references' pass
    # figures are 2 and 6 ms, now 3 and 9; the new network's 4.5 ms now is 3 ms on the pass's scale.
    now = {"new": 4.5, "ref_a": 3.0, "ref_b": 9.0}
    monkeypatch.setattr(side_by_side, "measure_latency",
                        lambda model, resolution, **_: fake_latency(now[model]))
    figure = side_by_side.measure_beside(("new", 32), [("ref_a", 32), ("ref_b", 32)],
                                         [fake_latency(2.0), fake_latency(6.0)], rounds=1,
                                         lock_file=None)
    assert figure.median_ms == pytest.approx(3.0)
    assert figure.p90_ms == pytest.approx(3.3) and figure.cv == pytest.approx(0.01)


def test_the_references_are_the_fastest_the_median_and_the_slowest():
    measured = [fake_latency(ms) for ms in (5.0, 1.0, 9.0, 3.0, 7.0)]
    assert side_by_side.references(measured) == [1, 0, 2]
    assert side_by_side.references(measured[:1]) == [0]


def test_rounds_combine_as_medians_and_the_cv_is_the_spread_of_their_medians():
    rounds = [fake_latency(ms, cv) for ms, cv in ((2.0, 0.02), (4.0, 0.09), (3.0, 0.08))]
    combined = side_by_side.combine(rounds, target_cv=0.05)
    assert combined.median_ms == 3.0 and combined.cv == pytest.approx(1 / 3) and combined.noisy
    assert combined.runs == 15 and combined.p90_ms == pytest.approx(3.3)
    # Rounds that agree are not noisy, however spread each round's own runs were.
    steady = [fake_latency(ms, 0.5) for ms in (3.0, 3.03, 2.97)]
    assert side_by_side.combine(steady, target_cv=0.05).cv == pytest.approx(0.01)
    assert not side_by_side.combine(steady, target_cv=0.05).noisy
    assert side_by_side.combine(steady[:1], target_cv=0.05).cv == 0.5  # one round: its own CV


def test_a_slowdown_that_falls_on_a_whole_round_changes_no_cv():
    # Round 2 runs both networks 2x slower (a busy minute); their ratio stays 1:3.
    fast = [fake_latency(ms) for ms in (1.0, 2.0, 1.0)]
    slow = [fake_latency(ms) for ms in (3.0, 6.0, 3.0)]
    relative = side_by_side.relative_medians([fast, slow])
    assert [side_by_side.combine(r, 0.05, rel).cv for r, rel in zip([fast, slow], relative)] \
        == pytest.approx([0.0, 0.0])
    assert side_by_side.combine(fast, 0.05).noisy  # plain round medians: 1, 2, 1
    # One network moving against the other is noisy.
    wobbly = [fake_latency(ms) for ms in (3.0, 3.0, 3.0)]
    relative = side_by_side.relative_medians([fast, wobbly])
    assert side_by_side.combine(wobbly, 0.05, relative[1]).noisy


def test_a_trial_logs_the_side_by_side_figure_and_its_own_beside_it(tmp_path):
    figures = {**fake_latency(2.5).metrics("latency/"),
               **fake_latency(7.0).metrics("latency_deploy/"), "cost/mult_adds_M": 3.0}
    override = side_by_side_override(figures)
    cfg = OmegaConf.create({"data": {"resolution": 32}, "latency": {
        "enabled": True, "backend": "eager", "device": "cpu", "threads": 1, "batch_size": 1,
        "warmup": 1, "min_runs": 3, "max_runs": 3, "max_seconds": 5.0, "target_cv": 0.05,
        "rounds": 1, "lock_file": str(tmp_path / "lock"), "resolution": 64,
        "side_by_side": None}})
    # Applied as Hydra applies a trial's override to its config.
    [parsed] = OverridesParser.create().parse_overrides([override])
    OmegaConf.update(cfg, parsed.key_or_group, parsed.value(), merge=False)
    logged = latency_figures(MobileNetV1(alpha=0.25, num_classes=10), cfg)
    assert logged["latency/median_ms"] == 2.5 and logged["latency_deploy/median_ms"] == 7.0
    assert logged["latency/noisy"] is False and logged["latency/runs"] == 5
    assert logged["latency/backend"] == "eager" and logged["latency_deploy/device"] == "cpu"
    assert logged["latency_trial/resolution"] == 32 and logged["latency_trial/runs"] == 3
    assert logged["latency_trial_deploy/resolution"] == 64
    assert "cost/mult_adds_M" not in override

    cfg.latency.side_by_side = None  # a single run: its own measurement is its latency
    alone = latency_figures(MobileNetV1(alpha=0.25, num_classes=10), cfg)
    assert alone["latency/runs"] == 3 and not any(k.startswith("latency_trial") for k in alone)


def test_no_latency_figures_no_override():
    assert side_by_side_override({"cost/mult_adds_M": 3.0}) is None
