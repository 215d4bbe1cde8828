"""Latencies that rank: networks timed side by side in one process, in interleaved rounds.

On a shared machine a network's latency drifts by tens of per cent between processes (and between
minutes), while rounds inside one process agree within a few per cent. A sweep's points are
therefore timed together before training (``mobisweep.train.point_costs``): each round times every
network once, a turn of at least ``turn_seconds`` (``min_runs`` to ``max_runs`` runs, as many as a
few probe runs say fill it), starting each round at the next network, so that a slow minute falls
on all of them. A figure is the median of its rounds' medians. Its CV is how
far it moves against the others from round to round: the spread (stdev / mean) of its round medians,
each divided by that round's geometric mean over all networks. A slowdown that falls on a whole
round changes no rank and so no CV; a single preempted run among a round's fifty moves that round's
own CV, but not its median. The figure is ``noisy`` where its CV is above ``target_cv``. With one
network the spread of its plain round medians stands in, with one round the round's own CV.

A network met later (a point a sampler proposes after the pass) is timed beside a few networks of
the pass, the references, and scaled by how much slower or faster the references ran this time
than in the pass: its figure is then on the pass's scale.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from filelock import FileLock
from torch import nn

from mobisweep.latency.measure import DEFAULT_LOCK, NOT_SETTINGS, Latency, measure_latency

log = logging.getLogger(__name__)

# Networks of the pass that a later network is timed beside: the fastest, the median, the slowest.
N_REFERENCES = 3


def measure_side_by_side(
    networks: Sequence[tuple[nn.Module, int]],
    *,
    rounds: int = 5,
    turn_seconds: float = 0.25,
    warmup: int = 10,
    min_runs: int = 50,
    max_runs: int = 500,
    target_cv: float = 0.05,
    lock_file: str | Path | None = DEFAULT_LOCK,
    **run_settings: Any,
) -> list[Latency]:
    """Each ``(model, resolution)``'s latency, all timed in ``rounds`` interleaved rounds.
    ``run_settings`` (backend, device, threads, batch_size, in_channels) are ``measure_latency``'s,
    and so are its defaults."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    per_network: list[list[Latency]] = [[] for _ in networks]
    lock = FileLock(str(lock_file)) if lock_file else nullcontext()
    settings = {**run_settings, "warmup": warmup, "max_seconds": float("inf"), "lock_file": None}
    with lock:  # the whole pass: parallel trials' own measurements wait, and do not time it
        # A turn of a few milliseconds is one preemption away from a wrong median: each network
        # runs as many times as fill turn_seconds, from a few probe runs' median.
        runs = []
        for model, resolution in networks:
            probe = measure_latency(model, resolution, **{**settings, "warmup": min(warmup, 2)},
                                    min_runs=3, max_runs=3)
            wanted = math.ceil(1000 * turn_seconds / max(probe.median_ms, 1e-3))
            runs.append(max(min_runs, min(max_runs, wanted)))
        for round_index in range(rounds):
            start = round_index % max(1, len(networks))
            for i in [*range(start, len(networks)), *range(start)]:
                model, resolution = networks[i]
                per_network[i].append(measure_latency(model, resolution, **settings,
                                                      min_runs=runs[i], max_runs=runs[i]))
            log.info("latency side by side: round %d of %d done (%d networks)", round_index + 1,
                     rounds, len(networks))
    return [combine(measured, target_cv, relative)
            for measured, relative in zip(per_network, relative_medians(per_network))]


def relative_medians(per_network: Sequence[Sequence[Latency]]) -> list[list[float]]:
    """Each network's round medians divided by their round's geometric mean over all networks
    (with one network: its plain round medians)."""
    if len(per_network) < 2:
        return [[r.median_ms for r in rounds] for rounds in per_network]
    scales = [statistics.geometric_mean(rounds[i].median_ms for rounds in per_network)
              for i in range(len(per_network[0]))]
    return [[r.median_ms / scale for r, scale in zip(rounds, scales)] for rounds in per_network]


def combine(rounds: Sequence[Latency], target_cv: float,
            relative: Sequence[float] | None = None) -> Latency:
    """One figure from a network's rounds: the median of each statistic over the rounds; the CV
    is the spread of ``relative`` (its round medians against the others', default: plain)."""
    first = rounds[0]

    def median(name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in rounds))

    spread = list(relative) if relative is not None else [r.median_ms for r in rounds]
    cv = statistics.stdev(spread) / statistics.mean(spread) if len(rounds) > 1 else first.cv
    return replace(first, median_ms=median("median_ms"), p90_ms=median("p90_ms"),
                   mean_ms=median("mean_ms"), iqr_ms=median("iqr_ms"), cv=cv,
                   runs=sum(r.runs for r in rounds), noisy=cv > target_cv,
                   window=(min(r.window[0] for r in rounds), max(r.window[1] for r in rounds)))


def references(measured: Sequence[Latency]) -> list[int]:
    """Indices of the networks a later one is timed beside: fastest, median and slowest."""
    order = sorted(range(len(measured)), key=lambda i: measured[i].median_ms)
    picked = [order[0], order[len(order) // 2], order[-1]][:N_REFERENCES]
    return list(dict.fromkeys(picked))


def measure_beside(network: tuple[nn.Module, int],
                   reference_networks: Sequence[tuple[nn.Module, int]],
                   reference_figures: Sequence[Latency], **settings) -> Latency:
    """``network``'s latency on the scale of a pass that measured ``reference_figures``: timed
    side by side with the references, then scaled by the median of their ratios pass / now."""
    measured = measure_side_by_side([network, *reference_networks], **settings)
    new, again = measured[0], measured[1:]
    scale = statistics.median(before.median_ms / now.median_ms
                              for before, now in zip(reference_figures, again))
    return replace(new, median_ms=new.median_ms * scale, p90_ms=new.p90_ms * scale,
                   mean_ms=new.mean_ms * scale, iqr_ms=new.iqr_ms * scale)


def configured_settings(latency_cfg) -> dict[str, Any]:
    """``measure_side_by_side``'s settings from a ``conf/latency/`` config (``max_seconds`` is
    the adaptive measurement's: a turn's length is ``turn_seconds``)."""
    return {k: v for k, v in latency_cfg.items() if k not in NOT_SETTINGS + ("max_seconds",)} | \
        {"rounds": latency_cfg.rounds, "turn_seconds": latency_cfg.turn_seconds}
