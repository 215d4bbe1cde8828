"""Each reference experiment's figures, drawn from its committed CSVs alone.

``vs_paper.png``: mobisweep's points and the paper's on the same axes: top-1 relative to the
experiment's anchor network against mult-adds relative to it (log x), so a 50-class, 64 px
reproduction and the paper's ImageNet at 224 px can be read together. The Pareto front of
mobisweep's points is marked; labels are placed so that none overlaps another label or a point.
``curves.png``: validation top-1 per epoch of every point (mean over seeds, ± sd band).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mobisweep.core import metrics
from mobisweep.core.pareto import pareto_front
from mobisweep.paper.design_space import draw_design_space
from mobisweep.paper.experiments import alpha_depth
from mobisweep.paper.ladder import COMPARISONS
from mobisweep.paper.ladder_plots import draw_gap_vs_budget
from mobisweep.paper.published import PaperRow
from mobisweep.paper.tables import ALPHAS, BASELINE_NAMES, SECTIONS, _px, paper_row
from mobisweep.results.label_placement import place_labels
from mobisweep.results.points import Point, points, read_experiment, read_trials
from mobisweep.results.summary import mean_sd
from mobisweep.results.trials_csv import TRIALS_FILE


@dataclass(frozen=True)
class Experiment:
    title: str
    # The anchor: the network every other point is measured relative to (MobileNet 1.0 at ρ 1).
    is_anchor: Callable[[Point], bool]
    label: Callable[[Point], str]
    paper: tuple[tuple[int, str, str], ...]  # (table, row name, label), the first one the anchor


def _mobilenet_label(point: Point) -> str:
    return f"{float(point.params['model.alpha'])}-{_px(point)}"  # α-px, as the paper's 1.0-224


EXPERIMENTS = {
    "alpha_rho": Experiment(
        "width α × resolution ρ (paper: Figure 4, Tables 6-7)",
        lambda p: float(p.params["model.alpha"]) == 1.0 and float(p.params["data.rho"]) == 1.0,
        _mobilenet_label,
        ((6, "1.0 MobileNet-224", "1.0-224"),
         *((6, f"{a} MobileNet-224", f"{a:g}-224") for a in ALPHAS[1:]),
         *((7, f"1.0 MobileNet-{px}", f"1.0-{px}") for px in (192, 160, 128)))),
    "thin_vs_shallow": Experiment(
        "thinner vs shallower at about the same cost (paper: Table 5)",
        lambda p: alpha_depth(p) == (0.75, 5),
        lambda p: {(0.75, 5): "0.75 MobileNet", (1.0, 0): "Shallow MobileNet"}.get(
            alpha_depth(p), f"α {alpha_depth(p)[0]:g}, depth {alpha_depth(p)[1]}"),
        ((5, "0.75 MobileNet", "0.75 MobileNet"), (5, "Shallow MobileNet", "Shallow MobileNet"))),
    "dw_vs_full": Experiment(
        "depthwise separable vs full convolutions (paper: Table 4)",
        lambda p: p.params["model.block"] == "separable",
        lambda p: {"separable": "MobileNet", "full": "Conv MobileNet"}[p.params["model.block"]],
        ((4, "MobileNet", "MobileNet"), (4, "Conv MobileNet", "Conv MobileNet"))),
    "baselines": Experiment(
        "MobileNet beside other networks (paper: Tables 8-9)",
        lambda p: p.network == "mobilenet",
        lambda p: p.network,
        tuple((table, name, model) for model, (name, table) in BASELINE_NAMES.items())),
}


def _describe(found: Sequence[Point]) -> str:
    first = found[0]
    data = {"TinyImageNet": "Tiny ImageNet", "FashionMNIST": "Fashion-MNIST"}.get(
        first.config("data"), first.config("data")) or "Fashion-MNIST"
    classes = first.config("num_classes")
    return f"{data}{f', {classes} classes' if classes else ''}"


@dataclass
class VsPaper:
    """An experiment's points and the paper's on the same axes: mult-adds and top-1 relative to the
    experiment's anchor network (the paper's relative to its own)."""

    name: str
    title: str
    found: list[Point]
    ours: list[tuple[float, float, float, Point]]  # (x, y, y's sd, point)
    theirs: list[tuple[float, float, str]]  # (x, y, label)
    front: list[tuple[float, float, float, Point]]  # ours on the Pareto front, by x
    anchor_label: str
    paper_anchor_label: str
    label: Callable[[Point], str]

    @property
    def x_title(self) -> str:
        return (f"mult-adds relative to {self.anchor_label} (log); the paper's relative to "
                f"{self.paper_anchor_label}")

    @property
    def y_title(self) -> str:
        return f"top-1 relative to {self.anchor_label} (paper: {self.paper_anchor_label})"

    @property
    def ours_name(self) -> str:
        seeded = any(p.n > 1 for p in self.found)
        return f"mobisweep: {_describe(self.found)}" + (" (mean ± sd over seeds)" if seeded else "")


def experiment_of(study_name: str) -> str | None:
    """The reference experiment a study runs (``alpha_rho``, ``reference_alpha_rho``), if any."""
    return next((name for name in EXPERIMENTS if study_name == name
                 or study_name.endswith(f"_{name}")), None)


def vs_paper(name: str, rows: list[dict[str, str]]) -> VsPaper | None:
    """None where the experiment's anchor network was not among the trials."""
    experiment = EXPERIMENTS[name]
    found = points(rows)
    try:
        anchor = next(p for p in found if experiment.is_anchor(p))
    except (StopIteration, KeyError, ValueError):
        return None
    paper_rows: list[tuple[PaperRow, str]] = [(paper_row(t, n), label)
                                              for t, n, label in experiment.paper]
    paper_ref = paper_rows[0][0]
    ours = [(p.figure(metrics.MULT_ADDS.name) / anchor.figure(metrics.MULT_ADDS.name),
             p.mean / anchor.mean, (p.sd or 0) / anchor.mean, p) for p in found]
    theirs = [(r.mult_adds_M / paper_ref.mult_adds_M, r.top1 / paper_ref.top1, label)
              for r, label in paper_rows]
    front = [ours[i] for i in pareto_front([(o[1], o[0]) for o in ours], ("maximize", "minimize"))]
    return VsPaper(name, experiment.title, found, ours, theirs, sorted(front, key=lambda o: o[0]),
                   experiment.label(anchor), paper_rows[0][1], experiment.label)


def draw_vs_paper(name: str, rows: list[dict[str, str]], out: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = vs_paper(name, rows)
    if data is None:
        return None
    ours, theirs, front = data.ours, data.theirs, data.front
    fig, ax = plt.subplots(figsize=(8.5, 6), dpi=120)
    blue, orange = "#1f77b4", "#d62728"
    ax.errorbar([o[0] for o in ours], [o[1] for o in ours], yerr=[o[2] for o in ours], fmt="o",
                color=blue, ms=6, capsize=3, label=data.ours_name)
    ax.scatter([t[0] for t in theirs], [t[1] for t in theirs], marker="D", s=40, color=orange,
               label="the paper: ImageNet, 224 px", zorder=3)
    if len(front) > 1:
        ax.plot([o[0] for o in front], [o[1] for o in front], "--", color=blue, alpha=0.6,
                label="mobisweep's Pareto front (top-1 ↑, mult-adds ↓)")
    ax.scatter([o[0] for o in front], [o[1] for o in front], marker="*", s=220, facecolors="none",
               edgecolors=blue, linewidths=1.2, zorder=4)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
    xs = [o[0] for o in ours] + [t[0] for t in theirs]
    if max(xs) / min(xs) < 5:  # within one decade: label the minor ticks too
        ax.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.2g}×"))
    else:
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel=data.x_title, ylabel=data.y_title, title=f"{name}: {data.title}")
    ax.grid(alpha=0.3, which="both")
    ax.margins(x=0.15, y=0.12)
    ax.legend(loc="lower right", fontsize=8)
    place_labels(ax, [(o[0], o[1]) for o in ours] + [(t[0], t[1]) for t in theirs],
                 [data.label(o[3]) for o in ours] + [t[2] for t in theirs],
                 [blue] * len(ours) + [orange] * len(theirs))
    fig.tight_layout()
    path = out / "vs_paper.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_curves(name: str, rows: list[dict[str, str]], curves: dict, out: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    experiment = EXPERIMENTS[name]
    found = [p for p in points(rows) if any(int(r["number"]) in curves for r in p.rows)]
    if not found:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 5.5), dpi=120)
    colors = plt.get_cmap("viridis" if len(found) > 10 else "tab10")
    for i, point in enumerate(found):
        runs = [curves[int(r["number"])] for r in point.rows if int(r["number"]) in curves]
        epochs = min(len(c) for c in runs)
        stats = [mean_sd([100 * c[e][metrics.TOP1.name] for c in runs]) for e in range(epochs)]
        mean = [m for m, _, _ in stats]
        color = colors(i / max(1, len(found) - 1)) if len(found) > 10 else colors(i)
        x = [e + 1 for e in range(epochs)]
        ax.plot(x, mean, marker="o", ms=3, color=color,
                label=f"{experiment.label(point)}{f' (n={len(runs)})' if len(runs) > 1 else ''}")
        if len(runs) > 1:
            sd = [s for _, s, _ in stats]
            ax.fill_between(x, [m - (s or 0.0) for m, s in zip(mean, sd)],
                            [m + (s or 0.0) for m, s in zip(mean, sd)],
                            color=color, alpha=0.2)
    ax.set(xlabel="epoch", ylabel="validation top-1 (%)",
           title=f"{name}: learning curves ({_describe(found)})")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(found) > 8 else 1, loc="upper left")
    fig.tight_layout()
    path = out / "curves.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_all(folder: Path) -> list[Path]:
    """Redraw every experiment found under ``folder`` (``<experiment>/trials.csv``)."""
    written = []
    for name in SECTIONS:
        experiment = read_experiment(folder, name)
        if experiment is None:
            continue
        rows, curves = experiment
        if name in COMPARISONS:  # a ladder: the gap at each budget
            drawn = draw_gap_vs_budget(name, rows, folder / name)
            written += [drawn] if drawn else []
            continue
        if name == "design_space":  # no single paper table: top-1 against cost, by depth
            drawn = draw_design_space(rows, folder / name)
            written += [drawn] if drawn else []
            continue
        drawn = draw_vs_paper(name, rows, folder / name)
        if drawn:
            written.append(drawn)
        drawn = draw_curves(name, rows, curves, folder / name)
        if drawn:
            written.append(drawn)
    return written


@dataclass(frozen=True)
class BesidePaper:
    """A study of one of the paper's experiments, for its report: the experiment's title, and its
    points beside the paper's where its anchor network was trained."""

    title: str
    panel: VsPaper | None
    name: str
    rows: list[dict[str, str]]

    def draw(self, out_dir: Path) -> Path | None:
        return draw_vs_paper(self.name, self.rows, out_dir)


def beside_paper(study_name: str, out_dir: Path) -> BesidePaper | None:
    """What a report shows beside a study (``results.report_page.write_report``'s ``beside``):
    for a study of the paper's experiments, the paper's points, from ``out_dir/trials.csv``."""
    name, csv_path = experiment_of(study_name), out_dir / TRIALS_FILE
    if name is None:
        return None
    rows = read_trials(csv_path) if csv_path.is_file() else []
    return BesidePaper(EXPERIMENTS[name].title, vs_paper(name, rows) if rows else None, name, rows)
