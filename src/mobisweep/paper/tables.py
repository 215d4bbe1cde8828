"""The reference sweeps beside the paper, as the tables of ``sweeps/reference/README.md``, from
committed ``trials.csv`` / ``curves.csv`` files alone (``python -m mobisweep.reference``).

A point measured with several seeds is shown as mean ± sample standard deviation (n). Its standard
error is sd / sqrt(n); a point with one seed gets the binomial standard error of its top-1 on the
validation images it was measured on. Trends are stated as measured differences, not adjectives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.paper.design_space import design_space
from mobisweep.paper.experiments import (
    Steps,
    alpha_depth,
    levelled_off,
    paired_difference,
    spearman,
)
from mobisweep.paper.ladder import COMPARISONS, ladder_table
from mobisweep.paper.published import PAPER_ROWS, PaperRow
from mobisweep.results.points import Point, points, read_experiment

ALPHAS = (1.0, 0.75, 0.5, 0.25)
RHOS = (1.0, 0.857, 0.714, 0.571)
PAPER_PX = {1.0: 224, 0.857: 192, 0.714: 160, 0.571: 128}


def paper_row(table: int, name: str) -> PaperRow:
    """The paper's row ``name`` of Table ``table`` (the experiments name only rows it has)."""
    return next(r for r in PAPER_ROWS if r.table == table and r.name == name)


def paper_top1(table: int, name: str) -> float:
    return paper_row(table, name).top1


def pct(value: str | float) -> str:
    return f"{100 * float(value):.2f}"


def top1_text(point: Point) -> str:
    """``48.12 %`` for one seed, ``48.12 ± 0.40 % (n=3)`` for several."""
    if point.sd is None:
        return f"{pct(point.mean)} %"
    return f"{pct(point.mean)} ± {pct(point.sd)} % (n={point.n})"


def alpha_rho_grid(rows: Sequence[dict[str, str]]) -> dict[tuple[float, float], Point]:
    return {(float(p.params["model.alpha"]), float(p.params["data.rho"])): p for p in points(rows)}


def alpha_rho_steps(grid: dict[tuple[float, float], Point]) -> Steps:
    steps = Steps()
    for rho in RHOS:
        for a, b in zip(ALPHAS, ALPHAS[1:]):
            steps.add(grid[(a, rho)], grid[(b, rho)], f"α {a} → {b} at ρ {rho}")
    for alpha in ALPHAS:
        for a, b in zip(RHOS, RHOS[1:]):
            steps.add(grid[(alpha, a)], grid[(alpha, b)], f"ρ {a} → {b} at α {alpha}")
    return steps


def _px(point: Point) -> str:
    """The trial's resolution; older trials.csv files lack it: Fashion-MNIST's 56 px base x rho
    (the baselines ran at 64 px)."""
    if point.config("resolution"):
        return point.config("resolution")
    if "data.rho" not in point.params:
        return "64"
    return str(round(56 * float(point.params["data.rho"])))


def alpha_rho(rows: list[dict[str, str]]) -> list[str]:
    grid = alpha_rho_grid(rows)
    lines = ["| α \\ ρ (px here / paper) | " + " | ".join(
        f"{rho} ({_px(grid[(1.0, rho)])} / {PAPER_PX[rho]})" for rho in RHOS) + " |",
        "|---" * (len(RHOS) + 1) + "|"]
    for alpha in ALPHAS:
        cells = [f"{top1_text(grid[(alpha, rho)])} · "
                 f"{grid[(alpha, rho)].figure(metrics.MULT_ADDS.name):.2f} M" for rho in RHOS]
        lines.append(f"| {alpha} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"| paper (ImageNet, 224 px) | top-1 | here ({_px(grid[(1.0, 1.0)])} px) | top-1 |",
        "|---|---|---|---|",
    ]
    for alpha in ALPHAS:
        lines.append(f"| {alpha} MobileNet-224 | {paper_top1(6, f'{alpha} MobileNet-224')} % | "
                     f"α {alpha}, ρ 1 | {top1_text(grid[(alpha, 1.0)])} |")
    for rho in RHOS[1:]:
        name = f"1.0 MobileNet-{PAPER_PX[rho]}"
        lines.append(f"| {name} | {paper_top1(7, name)} % | α 1.0, ρ {rho} | "
                     f"{top1_text(grid[(1.0, rho)])} |")
    accuracy = [p.mean for p in grid.values()]
    log_cost = [math.log(p.figure(metrics.MULT_ADDS.name)) for p in grid.values()]
    steps = alpha_rho_steps(grid)
    by_alpha = [grid[(a, 1.0)].mean for a in ALPHAS]
    by_rho = [grid[(1.0, r)].mean for r in RHOS]
    lines += [
        "",
        f"- Spearman rank correlation of top-1 with log mult-adds over the 16 points: "
        f"{spearman(log_cost, accuracy):.3f} (the paper: accuracy falls smoothly with mult-adds).",
        f"- Of the {steps.total} steps to a smaller α at each ρ and to a smaller ρ at each α, "
        f"top-1 falls at {steps.falls}; rises within two standard errors (ties): {len(steps.ties)}"
        f"{': ' + '; '.join(steps.ties) if steps.ties else ''}; rises beyond them: "
        f"{len(steps.rises)}{': ' + '; '.join(steps.rises) if steps.rises else ''}.",
        f"- α alone (ρ 1): {' → '.join(pct(v) for v in by_alpha)} % (the paper: 70.6 → 68.4 → "
        f"63.7 → 50.6). ρ alone (α 1): {' → '.join(pct(v) for v in by_rho)} % (the paper: 70.6 → "
        f"69.1 → 67.2 → 64.4).",
    ]
    return lines


def _difference_text(mean: float, sd: float | None, n: int) -> str:
    return (f"{100 * mean:+.2f} points" if sd is None
            else f"{100 * mean:+.2f} ± {100 * sd:.2f} points (mean ± sd over n={n} seeds)")


def thin_vs_shallow(rows: list[dict[str, str]]) -> list[str]:
    by = {alpha_depth(p): p for p in points(rows)}
    thin, shallow = by[(0.75, 5)], by[(1.0, 0)]
    lines = ["| model | α | depth | paper top-1 | paper mult-adds | top-1 here | mult-adds here | "
             "params here |", "|---|---|---|---|---|---|---|---|"]
    for (alpha, depth), point in sorted(by.items(), reverse=True):
        name = {(0.75, 5): "0.75 MobileNet", (1.0, 0): "Shallow MobileNet"}.get((alpha, depth), "")
        paper = paper_row(5, name)
        lines.append(f"| {name or '(other corner)'} | {alpha} | {depth} | "
                     f"{f'{paper.top1} %' if paper else '—'} | "
                     f"{f'{paper.mult_adds_M:g} M' if paper else '—'} | {top1_text(point)} | "
                     f"{point.figure(metrics.MULT_ADDS.name):.2f} M | "
                     f"{point.figure(metrics.PARAMS.name):.3f} M |")
    mean, sd, n = paired_difference(thin, shallow)
    verdict = ("thinner beats shallower, as in the paper" if mean > 0 and (sd is None or mean > sd)
               else "thinner does not beat shallower here: the paper's finding is not reproduced")
    lines += ["", f"- Thinner minus shallower: {_difference_text(mean, sd, n)}; +3.1 in the paper "
                  f"(68.4 vs 65.3). {verdict[0].upper() + verdict[1:]}."]
    return lines


def dw_vs_full(rows: list[dict[str, str]], curves: dict | None = None) -> list[str]:
    by = {p.params["model.block"]: p for p in points(rows)}
    lines = ["| model | paper top-1 | paper mult-adds | top-1 here | mult-adds here | params here "
             "| the last epoch's gain (no evidence of convergence: the schedule decays to zero) |",
             "|---|---|---|---|---|---|---|"]
    for block, name in (("full", "Conv MobileNet"), ("separable", "MobileNet")):
        paper = paper_row(4, name)
        point = by[block]
        lines.append(
            f"| {name} (`model.block={block}`) | {paper.top1} % | {paper.mult_adds_M:g} M "
            f"| {top1_text(point)} | {point.figure(metrics.MULT_ADDS.name):.2f} M | "
            f"{point.figure(metrics.PARAMS.name):.3f} M | {levelled_off(point, curves or {})} |"
        )
    mean, sd, n = paired_difference(by["full"], by["separable"])
    ratio = by["full"].figure(metrics.MULT_ADDS.name) / by["separable"].figure(
        metrics.MULT_ADDS.name
    )
    lines += ["", f"- Full minus separable: {_difference_text(mean, sd, n)} at {ratio:.1f}x the "
                  f"mult-adds; +1.1 in the paper at 8.6x (4866 M without the FC layer vs 569 M)."]
    return lines


BASELINE_NAMES = {
    "mobilenet": ("1.0 MobileNet-224", 8),
    "googlenet": ("GoogleNet", 8),
    "vgg16": ("VGG 16", 8),
    "squeezenet": ("Squeezenet", 9),
    "alexnet": ("AlexNet", 9),
}


def recipe(point: Point) -> str:
    """``SGD 0.01, 2 epochs warm-up``: the optimizer setting a baseline trained under."""
    warmup = point.config("warmup_epochs")
    return f"{point.config('optimizer') or '?'} {point.config('lr') or '?'}" + (
        f", {float(warmup):g} epoch{'' if float(warmup) == 1 else 's'} warm-up" if warmup else ""
    )


def baselines(rows: list[dict[str, str]]) -> list[str]:
    found = sorted(points(rows), key=lambda p: -p.mean)
    classes = found[0].config("num_classes")
    chance = 1 / float(classes) if classes else None
    lines = [
        f"| model | recipe | paper top-1 | paper mult-adds | top-1 here ({_px(found[0])} px) | "
        f"{'× chance | ' if chance else ''}mult-adds here | params here |",
        f"|---|---|---|---|---|{'---|' if chance else ''}---|---|",
    ]
    for point in found:
        name, table = BASELINE_NAMES[point.network]
        paper = paper_row(table, name)
        lines.append(f"| {point.network} | {recipe(point)} | {paper.top1} % | "
                     f"{paper.mult_adds_M:g} M | {top1_text(point)} | "
                     f"{f'{point.mean / chance:.1f} | ' if chance else ''}"
                     f"{point.figure(metrics.MULT_ADDS.name):.1f} M | "
                     f"{point.figure(metrics.PARAMS.name):.2f} M |")
    paper_order = sorted(found, key=lambda p: -paper_row(*BASELINE_NAMES[p.network][::-1]).top1)
    lines += ["", f"- Order here: {' > '.join(p.network for p in found)}; in the paper: "
                  f"{' > '.join(p.network for p in paper_order)}"
                  + (f"; chance is {100 * chance:.0f} %." if chance else ".")]
    if chance:
        lowest = found[-1]
        lines.append(f"- Lowest: {lowest.network} at {pct(lowest.mean)} %, "
                     f"{lowest.mean / chance:.1f}× chance.")
    return lines


SECTIONS: dict[str, Callable[..., list[str]]] = {
    "alpha_rho": alpha_rho, "thin_vs_shallow": thin_vs_shallow, "dw_vs_full": dw_vs_full,
    "baselines": baselines,
    **{name: partial(ladder_table, name) for name in COMPARISONS},
    "design_space": design_space}
BUDGET_KEYS = ("data", "num_classes", "train_images", "val_images", "resolution", "max_epochs",
               "batch_size", "optimizer", "lr", "scheduler")


def budget_table(folder: Path) -> list[str]:
    """What each committed sweep ran on, read from its trials' records: never typed by hand."""
    lines = ["| sweep | data | classes | train / val images | px | epochs | batch | optimizer, lr, "
             "schedule | seeds | trials | wall time, summed |", "|---" * 11 + "|"]
    for name in SECTIONS:
        experiment = read_experiment(folder, name)
        if experiment is None:
            continue
        rows = experiment[0]
        if not rows or "config/data" not in rows[0]:
            lines.append(f"| {name} | (not recorded in this trials.csv) |" + " |" * 9)
            continue
        values = {k: sorted({r.get(f"config/{k}", "") for r in rows}, key=_natural)
                  for k in BUDGET_KEYS}
        seeds = sorted({r.get("seed") or r["config/seed"] for r in rows}, key=_natural)
        hours = sum(float(r["wall_seconds"] or 0) for r in rows) / 3600

        def one(key: str, values: dict = values) -> str:
            return ", ".join(values[key])

        # A sweep over baselines trains each network under its own optimizer setting.
        optimizer = (f"{one('optimizer')} {one('lr')}" if len(values["optimizer"]) == 1
                     else "per network (below)")
        lines.append(f"| {name} | {one('data')} | {one('num_classes')} | {one('train_images')} / "
                     f"{one('val_images')} | {one('resolution')} | {one('max_epochs')} | "
                     f"{one('batch_size')} | {optimizer}, {one('scheduler')} | "
                     f"{', '.join(seeds)} | {len(rows)} | {hours:.2f} h |")
    return lines


def _natural(value: str) -> tuple:
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def tables(folder: Path) -> str:
    out = ["### Budgets (from the trials' own records)", "", *budget_table(folder), ""]
    for name, table in SECTIONS.items():
        experiment = read_experiment(folder, name)
        out.append(f"### `{name}`\n")
        if experiment is None:
            out.append(f"(not run yet: make reference-{name})\n")
            continue
        rows, curves = experiment
        if name == "dw_vs_full":
            lines = table(rows, curves)
        elif name == "design_space":
            lines = table(rows, folder / name)  # with the latency measured beside it
        else:
            lines = table(rows)
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)
