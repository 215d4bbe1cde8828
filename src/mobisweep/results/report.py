"""Trade-off plots of a study: ``report.html`` (Plotly, interactive, self-contained) and PNGs.

Panels (``panels.PANELS``): top-1 vs mult-adds (log x, the paper's Figure 4), top-1 vs parameters
(Figure 5), top-1 vs measured latency, and the paper's own ImageNet figures as a reference series.
Each point is labelled alpha-resolution; the Pareto front is drawn as a line.
"""

from __future__ import annotations

from pathlib import Path

from mobisweep.results.panels import PANELS, PAPER_TITLE, Y_TITLE, PanelData, panel_data, paper_points
from mobisweep.results.summary import SweepSummary


def plotly_report(summary: SweepSummary, panels: list[PanelData], path: Path) -> Path:
    """The interactive report; plotly.js is inlined so the page works offline."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = [data.panel.title for data in panels] + ["the paper: ImageNet top-1 vs mult-adds "
                                                      "(reference)"]
    figure = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.08,
                           vertical_spacing=0.14)
    for i, data in enumerate(panels):
        row, col = divmod(i, 2)
        markers = data.markers
        figure.add_trace(go.Scatter(
            x=[m.x for m in markers], y=[m.top1 for m in markers],
            error_y={"type": "data", "array": [m.sd for m in markers], "visible": data.seeded},
            text=[m.label for m in markers], mode="markers+text", textposition="top center",
            marker={"size": [13 if data.on_front(m) else 8 for m in markers],
                    "symbol": ["star" if data.on_front(m) else "circle" for m in markers]},
            name=data.series_name, showlegend=i == 0,
            hovertemplate="%{text}<br>top-1 %{y:.2f} %<br>%{x:.4g}<extra></extra>"),
            row=row + 1, col=col + 1)
        figure.add_trace(go.Scatter(
            x=[m.x for m in data.front], y=[m.top1 for m in data.front], mode="lines",
            line={"dash": "dot"}, name="Pareto front", showlegend=i == 0),
            row=row + 1, col=col + 1)
        figure.update_xaxes(title_text=data.panel.x_title,
                            type="log" if data.panel.log_x else "linear", row=row + 1, col=col + 1)
        figure.update_yaxes(title_text=Y_TITLE, row=row + 1, col=col + 1)
    paper = paper_points()
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


def png_reports(summary: SweepSummary, panels: list[PanelData], out_dir: Path) -> list[Path]:
    """One PNG per panel (matplotlib), the Pareto front drawn as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for data in panels:
        if not data.markers:
            continue
        markers = data.markers
        fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
        ax.errorbar([m.x for m in markers], [m.top1 for m in markers],
                    yerr=[m.sd for m in markers] if data.seeded else None, fmt="o", ms=5,
                    capsize=3, label=data.series_name)
        ax.plot([m.x for m in data.front], [m.top1 for m in data.front], "r*--", markersize=11,
                label="Pareto front")
        for m in markers:
            ax.annotate(m.label, (m.x, m.top1), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        if data.panel.log_x:
            ax.set_xscale("log")
        ax.set(xlabel=data.panel.x_title, ylabel=Y_TITLE,
               title=f"{summary.study_name}: {data.panel.title}")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = out_dir / f"{data.panel.name}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
    paper = paper_points()
    ax.scatter([p[1] for p in paper], [p[3] for p in paper], marker="D")
    for name, mult_adds, _, top1 in paper:
        ax.annotate(name, (mult_adds, top1), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set(xlabel="mult-adds (M, log)", ylabel="ImageNet top-1 (%)", title=PAPER_TITLE)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "paper_reference.png")
    plt.close(fig)
    return [*written, out_dir / "paper_reference.png"]


def write_report(summary: SweepSummary, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    panels = [panel_data(summary, panel) for panel in PANELS]
    return [plotly_report(summary, panels, out_dir / "report.html"),
            *png_reports(summary, panels, out_dir)]
