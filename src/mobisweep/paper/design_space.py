"""The recorded design space (``+sweep=design_space``: width α × resolution ρ × depth, over seeds)
read back from its ``trials.csv``: each point's mean top-1, its cost where it trained and at the
paper's 224·ρ with 1,000 classes, the paper's trends checked point by point, thinner against
shallower at nearly equal mult-adds, and the front with the share of the grid's compute it holds.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mobisweep.core import metrics
from mobisweep.core.pareto import pareto_front
from mobisweep.results.points import Point, points

ALPHAS = (1.0, 0.75, 0.5, 0.25)
RHOS = (1.0, 0.857, 0.714, 0.571)
LATENCY_FILE = "latency.csv"  # per point: batch-1 CPU latency at 224·ρ, measured in one process
PAIR_TOLERANCE = 0.15  # mult-adds within 15 % count as "nearly equal"


@dataclass(frozen=True)
class DesignPoint:
    alpha: float
    rho: float
    depth: int
    point: Point  # its seeds

    @property
    def key(self) -> tuple[float, float, int]:
        return (self.alpha, self.rho, self.depth)

    @property
    def label(self) -> str:
        return f"α {self.alpha:g}, ρ {self.rho:g}, depth {self.depth}"

    @property
    def deploy_px(self) -> int:
        return round(224 * self.rho)

    @property
    def seconds(self) -> float:
        return sum(float(r["wall_seconds"] or 0) for r in self.point.rows)


@cache
def deploy_cost(alpha: float, rho: float, depth: int) -> tuple[float, float]:
    """Mult-adds (M) and parameters (M) at the paper's setting: 224·ρ px, 1,000 classes."""
    from mobisweep.config.loading import load_config
    from mobisweep.train.assembly import count_shapes

    cfg = load_config([f"model.alpha={alpha}", f"data.rho={rho}", f"model.depth={depth}"],
                      config_name="measure")
    cost = count_shapes(cfg)
    return cost.mult_adds_M, cost.params_M


def design_points(rows: Sequence[dict[str, str]]) -> list[DesignPoint]:
    complete = [r for r in rows if r["state"] == "COMPLETE"]
    return [DesignPoint(float(p.params["model.alpha"]), float(p.params["data.rho"]),
                        int(float(p.params["model.depth"])), p) for p in points(complete)]


def read_latency(folder: Path) -> dict[tuple[float, float, int], tuple[float, float]]:
    """``(alpha, rho, depth) -> (median ms, CV)`` from ``latency.csv`` beside the table."""
    path = folder / LATENCY_FILE
    if not path.is_file():
        return {}
    with path.open(newline="") as stream:
        return {(float(r["model.alpha"]), float(r["data.rho"]), int(r["model.depth"])):
                (float(r["latency_deploy/median_ms"]), float(r["latency_deploy/cv"]))
                for r in csv.DictReader(stream)}


def trend_steps(grid: dict[tuple[float, float, int], DesignPoint]) -> dict[str, tuple[int, int]]:
    """The paper's trends step by step: top-1 falls as α falls (at each ρ and depth) and as ρ
    falls (at each α and depth). Per trend: (steps that agree, steps measured)."""
    counts = {}
    for name, axis, others in (("α", ALPHAS, RHOS), ("ρ", RHOS, ALPHAS)):
        agree = total = 0
        depths = sorted({k[2] for k in grid})
        for other, depth in itertools.product(others, depths):
            for a, b in zip(axis, axis[1:]):
                keys = [(v, other, depth) if name == "α" else (other, v, depth) for v in (a, b)]
                if all(k in grid for k in keys):
                    total += 1
                    agree += grid[keys[0]].point.mean > grid[keys[1]].point.mean
        counts[name] = (agree, total)
    return counts


@dataclass(frozen=True)
class Pair:
    thinner: DesignPoint
    shallower: DesignPoint

    @property
    def gap(self) -> float:
        return self.thinner.point.mean - self.shallower.point.mean

    @property
    def se(self) -> float:
        return math.hypot(self.thinner.point.se, self.shallower.point.se)


def thin_vs_shallow(design: Sequence[DesignPoint]) -> list[Pair]:
    """Every pair at one ρ that trades depth for width at nearly equal mult-adds (224·ρ, 1,000
    classes, within ``PAIR_TOLERANCE``): the thinner has the smaller α and the greater depth."""
    pairs = []
    for a, b in itertools.permutations(design, 2):
        if a.rho != b.rho or not (a.alpha < b.alpha and a.depth > b.depth):
            continue
        cost_a, cost_b = deploy_cost(*a.key)[0], deploy_cost(*b.key)[0]
        if abs(cost_a / cost_b - 1) <= PAIR_TOLERANCE:
            pairs.append(Pair(a, b))
    return sorted(pairs, key=lambda p: (-p.thinner.rho, -p.shallower.alpha, p.thinner.alpha))


def front(design: Sequence[DesignPoint]) -> list[DesignPoint]:
    """The points no other point beats on both mean top-1 and mult-adds (224·ρ)."""
    values = [(p.point.mean, deploy_cost(*p.key)[0]) for p in design]
    return sorted((design[i] for i in pareto_front(values, ("maximize", "minimize"))),
                  key=lambda p: deploy_cost(*p.key)[0])


def design_space(rows: list[dict[str, str]], folder: Path | None = None) -> list[str]:
    """The Markdown section of ``sweeps/reference/README.md`` for the design space."""
    design = design_points(rows)
    if not design:
        return ["(no complete trial yet)"]
    latency = read_latency(folder) if folder else {}
    seeds = sorted({r.get("seed", "") for r in rows if r["state"] == "COMPLETE"})
    epochs = sorted({r.get("config/max_epochs", "") for r in rows})
    full = len(ALPHAS) * len(RHOS) * 3
    lines = [f"{len(design)} points of the {full}-point grid recorded, "
             f"{sum(p.point.n for p in design)} trials (seeds {', '.join(seeds)}; "
             f"{', '.join(epochs)} epochs each); {sum(p.seconds for p in design) / 3600:.2f} "
             "CPU-hours of wall time, summed.", "",
             "| α | ρ | depth | px | M mult-adds (here) | M mult-adds (224·ρ) | M params (1,000 "
             "classes) | CPU ms at 224·ρ (CV) | top-1 % (n) |", "|---" * 9 + "|"]
    for p in sorted(design, key=lambda p: (-p.depth, -p.alpha, -p.rho)):
        macs, params = deploy_cost(*p.key)
        ms = latency.get(p.key)
        lines.append(
            f"| {p.alpha:g} | {p.rho:g} | {p.depth} | {p.point.rows[0].get('config/resolution')} | "
            f"{p.point.figure(metrics.MULT_ADDS.name):.2f} | {macs:.1f} | {params:.3f} | "
            f"{f'{ms[0]:.2f} ({ms[1]:.3f})' if ms else ''} | {100 * p.point.mean:.2f}"
            f"{f' ± {100 * p.point.sd:.2f}' if p.point.sd is not None else ''} ({p.point.n}) |")
    grid = {p.key: p for p in design}
    steps = trend_steps(grid)
    lines += ["", "**The paper's trends, step by step** (mean top-1 over seeds): "
              + "; ".join(f"top-1 falls as {name} falls in {agree} of {total} steps"
                          for name, (agree, total) in steps.items()) + "."]
    pairs = thin_vs_shallow(design)
    lines += ["", f"**Thinner against shallower** at the same ρ, mult-adds (224·ρ) within "
              f"{PAIR_TOLERANCE:.0%}: {len(pairs)} pairs, "
              f"{sum(p.gap > 2 * p.se for p in pairs)} with the thinner ahead beyond 2 SE, "
              f"{sum(p.gap < -2 * p.se for p in pairs)} with the shallower ahead beyond 2 SE.", "",
              "| ρ | thinner | shallower | M mult-adds | thinner − shallower (± SE) |",
              "|---|---|---|---|---|"]
    for pair in pairs:
        t, s = pair.thinner, pair.shallower
        lines.append(f"| {t.rho:g} | α {t.alpha:g}, depth {t.depth} | α {s.alpha:g}, depth "
                     f"{s.depth} | {deploy_cost(*t.key)[0]:.0f} vs {deploy_cost(*s.key)[0]:.0f} | "
                     f"{100 * pair.gap:+.2f} ± {100 * pair.se:.2f} |")
    on_front = front(design)
    share = sum(p.seconds for p in on_front) / sum(p.seconds for p in design)
    lines += ["", f"**The front** (mean top-1 against mult-adds at 224·ρ): {len(on_front)} of "
              f"{len(design)} points, holding {share:.3f} of the compute spent: any search that "
              "trains the whole front fully pays at least that share. "
              + ", ".join(p.label for p in on_front) + "."]
    return lines


def draw_design_space(rows: list[dict[str, str]], folder: Path) -> Path | None:
    """top-1 against mult-adds at 224·ρ (and against CPU latency there, where measured), one
    marker per depth, one colour per α, the front drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    design = design_points(rows)
    if not design:
        return None
    latency = read_latency(folder)
    axes_spec: list[tuple[str, Callable[[Any], float | None]]] = [
        ("M mult-adds at 224·ρ (log)", lambda p: deploy_cost(*p.key)[0])]
    if latency:
        axes_spec.append(("batch-1 CPU latency at 224·ρ, ms (log)",
                          lambda p: latency[p.key][0] if p.key in latency else None))
    fig, axes = plt.subplots(1, len(axes_spec), figsize=(7 * len(axes_spec), 5.5), dpi=110,
                             squeeze=False)
    markers = {5: "o", 2: "s", 0: "^"}
    colors = dict(zip(ALPHAS, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")))
    for ax, (label, x_of) in zip(axes[0], axes_spec):
        # The points this axis has a figure for, with it.
        shown = [(p, x) for p in design if (x := x_of(p)) is not None]
        for p, x in shown:
            ax.errorbar(x, 100 * p.point.mean, yerr=100 * (p.point.sd or 0),
                        fmt=markers.get(p.depth, "D"), color=colors.get(p.alpha, "k"), ms=7,
                        capsize=2, alpha=0.85)
        values = [(p.point.mean, x) for p, x in shown]
        best = sorted((shown[i] for i in pareto_front(values, ("maximize", "minimize"))),
                      key=lambda item: item[1])
        ax.plot([x for _, x in best], [100 * p.point.mean for p, _ in best], "k--", lw=1,
                label=f"front ({len(best)} points)")
        ax.set(xscale="log", xlabel=label, ylabel="top-1 % (mean ± sd over seeds)")
        ax.grid(alpha=0.3, which="both")
    handles = [plt.Line2D([], [], ls="", marker=m, color="grey", label=f"depth {d}")
               for d, m in markers.items()]
    handles += [plt.Line2D([], [], ls="", marker="o", color=c, label=f"α {a:g}")
                for a, c in colors.items()]
    handles += [plt.Line2D([], [], ls="--", color="k", label="front")]
    axes[0][-1].legend(handles=handles, fontsize=8, loc="best")
    classes = rows[0].get("config/num_classes", "")
    fig.suptitle(f"MobileNet design space, α × ρ × depth: Tiny ImageNet, {classes} classes "
                 f"({len(design)} points)", fontsize=11)
    fig.tight_layout()
    out = folder / "design_space.png"
    fig.savefig(out)
    plt.close(fig)
    return out
