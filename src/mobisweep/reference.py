"""The reference sweeps beside the paper: markdown tables from ``sweeps/reference/*/trials.csv``.

    python -m mobisweep.reference            # prints the tables of sweeps/reference/README.md

Every figure comes from the committed ``trials.csv`` files (top-1 on Fashion-MNIST at 56 px and 10
classes, mult-adds counted at that setting); the paper's ImageNet figures are from
:mod:`mobisweep.paper`. Trends are stated as measured differences, not adjectives.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

from mobisweep.paper import PAPER_ROWS, PaperRow

ALPHAS = (1.0, 0.75, 0.5, 0.25)
RHOS = (1.0, 0.857, 0.714, 0.571)
PAPER_PX = {1.0: 224, 0.857: 192, 0.714: 160, 0.571: 128}


def read_trials(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return [row for row in csv.DictReader(stream) if row["state"] == "COMPLETE"]


def paper_row(table: int, name: str) -> PaperRow | None:
    return next((r for r in PAPER_ROWS if r.table == table and r.name == name), None)


def paper_top1(table: int, name: str) -> float:
    return paper_row(table, name).top1


def pct(value: str | float) -> str:
    return f"{100 * float(value):.2f}"


def spearman(xs: list[float], ys: list[float]) -> float:
    """Rank correlation (no ties expected among these figures)."""
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        for rank, index in enumerate(order):
            out[index] = float(rank)
        return out
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    return cov / math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))


def alpha_rho(rows: list[dict[str, str]]) -> list[str]:
    grid = {(float(r["model.alpha"]), float(r["data.rho"])): r for r in rows}
    lines = ["| α \\ ρ (px here / paper) | " + " | ".join(
        f"{rho} ({round(56 * rho)} / {PAPER_PX[rho]})" for rho in RHOS) + " |",
        "|---" * (len(RHOS) + 1) + "|"]
    for alpha in ALPHAS:
        cells = [f"{pct(grid[(alpha, rho)]['val/acc1'])} % · "
                 f"{float(grid[(alpha, rho)]['cost/mult_adds_M']):.2f} M" for rho in RHOS]
        lines.append(f"| {alpha} | " + " | ".join(cells) + " |")
    lines += ["", "| paper (ImageNet, 224 px) | top-1 | here (56 px) | top-1 |", "|---|---|---|---|"]
    for alpha in ALPHAS:
        lines.append(f"| {alpha} MobileNet-224 | {paper_top1(6, f'{alpha} MobileNet-224')} % | "
                     f"α {alpha}, ρ 1 | {pct(grid[(alpha, 1.0)]['val/acc1'])} % |")
    for rho in RHOS[1:]:
        name = f"1.0 MobileNet-{PAPER_PX[rho]}"
        lines.append(f"| {name} | {paper_top1(7, name)} % | α 1.0, ρ {rho} | "
                     f"{pct(grid[(1.0, rho)]['val/acc1'])} % |")
    accuracy = [float(r["val/acc1"]) for r in grid.values()]
    log_cost = [math.log(float(r["cost/mult_adds_M"])) for r in grid.values()]
    by_alpha = [float(grid[(a, 1.0)]["val/acc1"]) for a in ALPHAS]
    by_rho = [float(grid[(1.0, r)]["val/acc1"]) for r in RHOS]
    falls = lambda values: sum(a > b for a, b in zip(values, values[1:]))  # noqa: E731
    lines += [
        "",
        f"- Spearman rank correlation of top-1 with log mult-adds over the 16 points: "
        f"{spearman(log_cost, accuracy):.2f} (the paper: accuracy falls smoothly with mult-adds).",
        f"- α alone (ρ 1): top-1 falls at {falls(by_alpha)} of 3 steps from 1.0 to 0.25 "
        f"({' → '.join(pct(v) for v in by_alpha)} %; the paper: 70.6 → 68.4 → 63.7 → 50.6).",
        f"- ρ alone (α 1): top-1 falls at {falls(by_rho)} of 3 steps from 56 to 32 px "
        f"({' → '.join(pct(v) for v in by_rho)} %; the paper: 70.6 → 69.1 → 67.2 → 64.4).",
    ]
    return lines


def thin_vs_shallow(rows: list[dict[str, str]]) -> list[str]:
    by = {(float(r["model.alpha"]), int(float(r["model.depth"]))): r for r in rows}
    thin, shallow = by[(0.75, 5)], by[(1.0, 0)]
    lines = ["| model | α | depth | paper top-1 | paper mult-adds | top-1 here | mult-adds here | params here |",
             "|---|---|---|---|---|---|---|---|"]
    for (alpha, depth), row in sorted(by.items(), reverse=True):
        name = {(0.75, 5): "0.75 MobileNet", (1.0, 0): "Shallow MobileNet"}.get((alpha, depth), "")
        paper = paper_row(5, name)
        lines.append(f"| {name or '(other corner)'} | {alpha} | {depth} | "
                     f"{f'{paper.top1} %' if paper else '—'} | "
                     f"{f'{paper.mult_adds_M:g} M' if paper else '—'} | {pct(row['val/acc1'])} % | "
                     f"{float(row['cost/mult_adds_M']):.2f} M | {float(row['cost/params_M']):.3f} M |")
    gap = 100 * (float(thin["val/acc1"]) - float(shallow["val/acc1"]))
    lines += ["", f"- Thinner minus shallower: {gap:+.2f} points here; +3.1 in the paper "
                  f"(68.4 vs 65.3)."]
    return lines


def dw_vs_full(rows: list[dict[str, str]]) -> list[str]:
    by = {r["model.block"]: r for r in rows}
    lines = ["| model | paper top-1 | paper mult-adds | top-1 here | mult-adds here | params here |",
             "|---|---|---|---|---|---|"]
    for block, name in (("full", "Conv MobileNet"), ("separable", "MobileNet")):
        paper = paper_row(4, name)
        row = by[block]
        lines.append(f"| {name} (`model.block={block}`) | {paper.top1} % | {paper.mult_adds_M:g} M | "
                     f"{pct(row['val/acc1'])} % | {float(row['cost/mult_adds_M']):.2f} M | "
                     f"{float(row['cost/params_M']):.3f} M |")
    gap = 100 * (float(by["full"]["val/acc1"]) - float(by["separable"]["val/acc1"]))
    ratio = float(by["full"]["cost/mult_adds_M"]) / float(by["separable"]["cost/mult_adds_M"])
    lines += ["", f"- Full minus separable: {gap:+.2f} points here at {ratio:.1f}x the mult-adds; "
                  f"+1.1 in the paper at 8.6x (4866 M without the FC layer vs 569 M)."]
    return lines


BASELINE_NAMES = {"mobilenet": ("1.0 MobileNet-224", 8), "googlenet": ("GoogleNet", 8),
                  "vgg16": ("VGG 16", 8), "squeezenet": ("Squeezenet", 9), "alexnet": ("AlexNet", 9)}


def baselines(rows: list[dict[str, str]]) -> list[str]:
    lines = ["| model | paper top-1 | paper mult-adds | top-1 here (64 px) | mult-adds here | params here |",
             "|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: -float(r["val/acc1"])):
        name, table = BASELINE_NAMES[row["model"]]
        paper = paper_row(table, name)
        lines.append(f"| {row['model']} | {paper.top1} % | {paper.mult_adds_M:g} M | "
                     f"{pct(row['val/acc1'])} % | {float(row['cost/mult_adds_M']):.1f} M | "
                     f"{float(row['cost/params_M']):.2f} M |")
    return lines


SECTIONS = {"alpha_rho": alpha_rho, "thin_vs_shallow": thin_vs_shallow, "dw_vs_full": dw_vs_full,
            "baselines": baselines}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.reference",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("sweeps/reference"))
    args = parser.parse_args(argv)
    for name, table in SECTIONS.items():
        path = args.folder / name / "trials.csv"
        if not path.is_file():
            print(f"### `{name}`\n\n(not run yet: make reference-{name})\n")
            continue
        print(f"### `{name}`\n")
        print("\n".join(table(read_trials(path))) + "\n")


if __name__ == "__main__":
    main()
