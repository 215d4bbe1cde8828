"""A comparison read at several budgets (a ladder), from a committed ``trials.csv`` alone.

Each budget (``trainer.max_epochs``) is its own complete schedule. At each, the gap between the two
networks is the mean of their paired differences over seeds, with its standard error sd / sqrt(n)
(one seed: the binomial standard errors of both top-1 figures, combined). A conclusion counts where
doubling the budget no longer moves the gap beyond two standard errors of the change: a curve that
flattens under a decaying learning rate is no evidence, the next budget is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mobisweep.paper.experiments import alpha_depth, paired_difference
from mobisweep.results.points import Point, points

BUDGET_PARAM = "trainer.max_epochs"


@dataclass(frozen=True)
class Comparison:
    """``a − b``: which networks a ladder compares, how to tell them apart, the paper's figure."""

    title: str
    a: str
    b: str
    side: Callable[[Point], str | None]  # "a", "b" or None (a point of neither network)
    paper_gap: float  # points, a − b
    paper_source: str


@dataclass(frozen=True)
class Rung:
    epochs: int
    a: Point
    b: Point
    gap: float  # a − b, as a fraction
    se: float
    n: int


def _thin_or_shallow(point: Point) -> str | None:
    return {(0.75, 5): "a", (1.0, 0): "b"}.get(alpha_depth(point))


def _full_or_separable(point: Point) -> str | None:
    return {"full": "a", "separable": "b"}.get(point.params.get("model.block", ""))


COMPARISONS: dict[str, Comparison] = {
    "thin_vs_shallow_ladder": Comparison(
        "thinner (0.75 MobileNet) − shallower (Shallow MobileNet)", "0.75 MobileNet",
        "Shallow MobileNet", _thin_or_shallow, 3.1, "Table 5: 68.4 vs 65.3"),
    "dw_vs_full_ladder": Comparison(
        "full convolutions (Conv MobileNet) − depthwise separable (MobileNet)", "Conv MobileNet",
        "MobileNet", _full_or_separable, 1.1, "Table 4: 71.7 vs 70.6"),
}


def budget_of(point: Point) -> int:
    return int(float(point.params.get(BUDGET_PARAM) or point.config("max_epochs")))


def rungs(comparison: Comparison, rows: Sequence[dict[str, str]]) -> list[Rung]:
    """Every budget at which both networks finished, smallest first."""
    found: dict[int, dict[str, Point]] = {}
    for point in points(rows):
        side = comparison.side(point)
        if side:
            found.setdefault(budget_of(point), {})[side] = point
    out = []
    for epochs, pair in sorted(found.items()):
        if len(pair) < 2:
            continue
        gap, sd, n = paired_difference(pair["a"], pair["b"])
        se = sd / math.sqrt(n) if sd is not None else math.hypot(pair["a"].se, pair["b"].se)
        out.append(Rung(epochs, pair["a"], pair["b"], gap, se, n))
    return out


def moved(rung: Rung, before: Rung) -> bool:
    """Did the gap change from the budget before by more than two standard errors of the change?"""
    return abs(rung.gap - before.gap) > 2 * math.hypot(rung.se, before.se)


@dataclass(frozen=True)
class Trend:
    slope: float  # change of the gap per doubling of the budget, as a fraction
    se: float
    budgets: int
    # the weighted means of log2(epochs) and of the gap: the fit's pivot
    centre: tuple[float, float]

    def gap_at(self, epochs: float) -> float:
        return self.centre[1] + self.slope * (math.log2(epochs) - self.centre[0])


def trend(found: Sequence[Rung]) -> Trend | None:
    """The gap's slope against log2(epochs) over every rung (inverse-variance weighted least
    squares).

    The one-step rule compares two rungs only, so one noisy rung can pass it vacuously; the slope
    over the whole ladder weighs every budget by its precision. None under three rungs, or where a
    rung's standard error is unknown or zero (its weight would be infinite).
    """
    if len(found) < 3:
        return None
    se = [r.se for r in found]
    if not all(math.isfinite(s) and s > 0 for s in se):
        return None
    weights = [1 / s**2 for s in se]
    x = [math.log2(r.epochs) for r in found]
    total = sum(weights)
    x_mean = sum(w * xi for w, xi in zip(weights, x)) / total
    y_mean = sum(w * r.gap for w, r in zip(weights, found)) / total
    sxx = sum(w * (xi - x_mean) ** 2 for w, xi in zip(weights, x))
    sxy = sum(w * (xi - x_mean) * (r.gap - y_mean) for w, xi, r in zip(weights, x, found))
    return Trend(sxy / sxx, 1 / math.sqrt(sxx), len(found), (x_mean, y_mean))


def leader(comparison: Comparison, rung: Rung) -> str:
    if abs(rung.gap) <= 2 * rung.se:
        return "a tie within 2 SE"
    return f"{comparison.a if rung.gap > 0 else comparison.b} ahead"


def verdict(comparison: Comparison, found: Sequence[Rung]) -> str:
    """At the largest budget: who is ahead, and whether the gap still moved from the budget
    before."""
    last = found[-1]
    text = (f"at {_epochs(last.epochs)}: {leader(comparison, last)} "
            f"({100 * last.gap:+.2f} ± {100 * last.se:.2f}, n={last.n})")
    if len(found) < 2:
        return text + "; one budget only: whether it has converged is not known"
    before = found[-2]
    change = last.gap - before.gap
    state = "still moving" if moved(last, before) else "converged"
    text += (f"; {state} ({100 * change:+.2f} points from {_epochs(before.epochs)}, "
             f"2 SE of the change = {200 * math.hypot(last.se, before.se):.2f})")
    slope = trend(found)
    if slope is None:
        return text
    trending = abs(slope.slope) > 2 * slope.se
    return (f"{text}; over all {slope.budgets} budgets the gap moves {100 * slope.slope:+.2f} ± "
            f"{100 * slope.se:.2f} points per doubling of the budget "
            f"({'beyond 2 SE: it still trends' if trending else 'within 2 SE: no trend'})")


def _epochs(count: int) -> str:
    return f"{count} epoch{'' if count == 1 else 's'}"


def _cell(point: Point) -> str:
    sd = "" if point.sd is None else f" ± {100 * point.sd:.2f}"
    return f"{100 * point.mean:.2f}{sd}"


def ladder_table(name: str, rows: Sequence[dict[str, str]]) -> list[str]:
    comparison = COMPARISONS[name]
    found = rungs(comparison, rows)
    if not found:
        return ["(no budget at which both networks finished yet)"]
    lines = [(f"| epochs | {comparison.a} top-1 % | {comparison.b} top-1 % | gap ± SE (n) | "
             "change from the budget before |"), "|---|---|---|---|---|"]
    for i, rung in enumerate(found):
        change = "—"
        if i:
            before = found[i - 1]
            change = (f"{100 * (rung.gap - before.gap):+.2f} "
                      f"({'beyond' if moved(rung, before) else 'within'} 2 SE)")
        lines.append(f"| {rung.epochs} | {_cell(rung.a)} | {_cell(rung.b)} | "
                     f"{100 * rung.gap:+.2f} ± {100 * rung.se:.2f} ({rung.n}) | {change} |")
    lines += ["", (f"- {comparison.title}, {verdict(comparison, found)}. The paper: "
                  f"{comparison.paper_gap:+.1f} ({comparison.paper_source}).")]
    return lines
