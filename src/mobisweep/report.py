"""Trade-off plots of a study: ``report.html`` (Plotly, interactive, self-contained) and PNGs.

    python -m mobisweep.report sweeps/alpha_rho                       # the folder of a sweep
    python -m mobisweep.report postgresql://host/db --study alpha_rho # or a storage URL

Panels: top-1 vs mult-adds (log x, the paper's Figure 4), top-1 vs parameters (Figure 5), top-1 vs
measured latency, and the paper's own ImageNet figures as a reference series. Each point is
labelled alpha-resolution; the Pareto front (top-1 vs mult-adds) is drawn as a line.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import optuna

from mobisweep.cli import config_errors_exit
from mobisweep.pareto import pareto_front
from mobisweep.paper import PAPER_ROWS
from mobisweep.sweep.storage import open_storage
from mobisweep.sweep.summary import SweepSummary, TrialRow, mean_sd, summarize_study


@dataclass(frozen=True)
class Panel:
    name: str
    x: str
    title: str
    x_title: str
    log_x: bool


PANELS = (
    Panel("top1_vs_mult_adds", "cost/mult_adds_M", "top-1 vs mult-adds (Figure 4)",
          "mult-adds (M, log)", True),
    Panel("top1_vs_params", "cost/params_M", "top-1 vs parameters (Figure 5)",
          "parameters (M, log)", True),
    Panel("top1_vs_latency", "latency/median_ms", "top-1 vs measured latency",
          "median latency (ms)", False),
)


def load_summary(target: str, study_name: str | None = None) -> tuple[SweepSummary, Path]:
    """A sweep folder (``sweeps/<study>`` with ``study.db``) or a storage URL with a study name."""
    path = Path(target)
    if path.is_dir():
        storage = f"sqlite:///{path / 'study.db'}"
        study_name = study_name or path.name
        out_dir = path
    else:
        if not study_name:
            raise SystemExit("mobisweep.report: a storage URL needs --study NAME")
        # postgresql:// (psycopg 3), journal:///...: the sweeper's own URLs, errors masked.
        storage, out_dir = open_storage(target, heartbeat_interval=None), Path("sweeps") / study_name
    study = optuna.load_study(study_name=study_name, storage=storage)
    objectives = [f"objective {i}" for i in range(len(study.directions))]
    return summarize_study(study, objectives), out_dir


@dataclass
class Marker:
    """One point of a panel: a trial, or the mean of a point's seeds (with their sd and n)."""

    label: str
    x: float
    top1: float  # percent
    sd: float  # percent; 0 for one seed
    n: int


def _complete(summary: SweepSummary, x: str) -> list[Marker]:
    groups: dict[tuple, list[TrialRow]] = {}
    for r in summary.rows:
        if r.state == "COMPLETE" and x in r.figures and "val/acc1" in r.figures:
            groups.setdefault(r.point, []).append(r)
    markers = []
    for rows in groups.values():
        mean, sd, n = mean_sd([100 * r.figures["val/acc1"] for r in rows])
        label = rows[0].label + (f" (n={n})" if n > 1 else "")
        markers.append(Marker(label, sum(r.figures[x] for r in rows) / n, mean, sd or 0.0, n))
    return markers


def _front(markers: list[Marker]) -> list[Marker]:
    front = [markers[i] for i in pareto_front([(m.top1, m.x) for m in markers],
                                              ("maximize", "minimize"))]
    return sorted(front, key=lambda m: m.x)


def _paper_points() -> list[tuple[str, float, float, float]]:
    """Each of the paper's models once (Tables 4-8 repeat MobileNet 1.0-224 under other names)."""
    seen, points = set(), []
    for row in PAPER_ROWS:
        if (row.mult_adds_M, row.top1) not in seen:
            seen.add((row.mult_adds_M, row.top1))
            points.append((row.name, row.mult_adds_M, row.params_M, row.top1))
    return points


def plotly_report(summary: SweepSummary, path: Path) -> Path:
    """The interactive report; plotly.js is inlined so the page works offline."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = [p.title for p in PANELS] + ["the paper: ImageNet top-1 vs mult-adds (reference)"]
    figure = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.08,
                           vertical_spacing=0.14)
    for i, panel in enumerate(PANELS):
        row, col = divmod(i, 2)
        markers = _complete(summary, panel.x)
        front_markers = _front(markers)
        front = {id(m) for m in front_markers}
        figure.add_trace(go.Scatter(
            x=[m.x for m in markers], y=[m.top1 for m in markers],
            error_y={"type": "data", "array": [m.sd for m in markers],
                     "visible": any(m.n > 1 for m in markers)},
            text=[m.label for m in markers], mode="markers+text", textposition="top center",
            marker={"size": [13 if id(m) in front else 8 for m in markers],
                    "symbol": ["star" if id(m) in front else "circle" for m in markers]},
            name="trials (mean ± sd over seeds)" if any(m.n > 1 for m in markers) else "trials",
            showlegend=i == 0,
            hovertemplate="%{text}<br>top-1 %{y:.2f} %<br>%{x:.4g}<extra></extra>"),
            row=row + 1, col=col + 1)
        figure.add_trace(go.Scatter(
            x=[m.x for m in front_markers], y=[m.top1 for m in front_markers], mode="lines",
            line={"dash": "dot"}, name="Pareto front", showlegend=i == 0),
            row=row + 1, col=col + 1)
        figure.update_xaxes(title_text=panel.x_title, type="log" if panel.log_x else "linear",
                            row=row + 1, col=col + 1)
        figure.update_yaxes(title_text="top-1 (%)", row=row + 1, col=col + 1)
    paper = _paper_points()
    figure.add_trace(go.Scatter(
        x=[p[1] for p in paper], y=[p[3] for p in paper], text=[p[0] for p in paper],
        mode="markers+text", textposition="top center", name="paper (ImageNet)",
        marker={"symbol": "diamond", "size": 9}), row=2, col=2)
    figure.update_xaxes(title_text="mult-adds (M, log)", type="log", row=2, col=2)
    figure.update_yaxes(title_text="ImageNet top-1 (%)", row=2, col=2)
    figure.update_layout(title=f"mobisweep study {summary.study_name}: "
                               f"{summary.count('COMPLETE')} trials", height=950, width=1400)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.write_html(str(path), include_plotlyjs="inline", full_html=True)
    return path


def png_reports(summary: SweepSummary, out_dir: Path) -> list[Path]:
    """One PNG per panel (matplotlib), the Pareto front drawn as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for panel in PANELS:
        markers = _complete(summary, panel.x)
        if not markers:
            continue
        fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
        seeded = any(m.n > 1 for m in markers)
        ax.errorbar([m.x for m in markers], [m.top1 for m in markers],
                    yerr=[m.sd for m in markers] if seeded else None, fmt="o", ms=5, capsize=3,
                    label="trials (mean ± sd over seeds)" if seeded else "trials")
        front = _front(markers)
        ax.plot([m.x for m in front], [m.top1 for m in front], "r*--", markersize=11,
                label="Pareto front")
        for m in markers:
            ax.annotate(m.label, (m.x, m.top1), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        if panel.log_x:
            ax.set_xscale("log")
        ax.set(xlabel=panel.x_title, ylabel="top-1 (%)",
               title=f"{summary.study_name}: {panel.title}")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = out_dir / f"{panel.name}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
    paper = _paper_points()
    ax.scatter([p[1] for p in paper], [p[3] for p in paper], marker="D")
    for name, mult_adds, _, top1 in paper:
        ax.annotate(name, (mult_adds, top1), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set(xlabel="mult-adds (M, log)", ylabel="ImageNet top-1 (%)",
           title="the paper's ImageNet figures (reference)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "paper_reference.png")
    plt.close(fig)
    return [*written, out_dir / "paper_reference.png"]


def write_report(summary: SweepSummary, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [plotly_report(summary, out_dir / "report.html"), *png_reports(summary, out_dir)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mobisweep.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="a sweep folder (sweeps/<study>) or an Optuna storage URL")
    parser.add_argument("--study", help="the study name (default: the folder's name)")
    parser.add_argument("--out", type=Path, help="where to write (default: the sweep folder)")
    args = parser.parse_args(argv)
    with config_errors_exit():
        summary, out_dir = load_summary(args.target, args.study)
    for path in write_report(summary, args.out or out_dir):
        print(path)


if __name__ == "__main__":
    main()
