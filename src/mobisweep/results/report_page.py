"""Trade-off plots of a study: ``report.html`` (Plotly, interactive, self-contained, as wide as the
window) with a sortable table of its trials, and one PNG per panel.

Panels (``panels.PANELS``): top-1 vs mult-adds (log x, the paper's Figure 4), top-1 vs parameters
(Figure 5), top-1 vs measured latency (a latency whose spread never settled is drawn hollow with
its IQR and kept off the front), and, for the paper's experiments, mobisweep's points beside the
paper's on the same relative axes (``vs_paper.png``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from mobisweep.core import metrics
from mobisweep.core.atomic_files import write_text
from mobisweep.results.label_placement import place_labels
from mobisweep.results.panels import PANELS, Y_TITLE, PanelData, nice_ticks, panel_data
from mobisweep.results.summary import SweepSummary, repeats

# One colour per series in every panel, so that the legend's colours are the points' colours.
TRIALS, FRONT, PAPER = "#1f77b4", "#d62728", "#ff7f0e"


class Beside(Protocol):
    """What the report shows beside a sweep's own panels (``mobisweep.paper.plots.beside_paper``:
    the paper's points, for a study of one of its experiments)."""

    @property
    def title(self) -> str:  # what the study is
        ...

    @property
    def panel(self) -> Any:  # the comparison's data (``VsPaper``), None where it cannot be drawn
        ...

    def draw(self, out_dir: Path) -> Path | None: ...


def title_of(summary: SweepSummary, beside: Beside | None = None) -> str:
    what = beside.title if beside else f"{summary.count('COMPLETE')} trials"
    return f"mobisweep study {summary.study_name}: {what}"


def _axis(figure, data_x: list[float], log: bool, title: str, row: int, col: int) -> None:
    if log and data_x:
        ticks = nice_ticks(min(data_x) / 1.3, max(data_x) * 1.3)
        figure.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                            title_text=title, row=row, col=col)
    else:
        figure.update_xaxes(title_text=title, row=row, col=col)


def plotly_report(summary: SweepSummary, panels: list[PanelData], beside: Beside | None,
                  path: Path, reload_s: float | None = None) -> Path:
    """The interactive report; plotly.js is inlined so the page works offline. ``reload_s``: the
    page reloads itself that often (a report rewritten as a running sweep's trials finish)."""
    paper = beside.panel if beside else None
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    # Only panels with something measured are drawn (a sweep with latency=none has no latency
    # panel); what is left out is said under the heading.
    drawn = [data for data in panels if data.markers]
    missing = [data for data in panels if not data.markers]
    slots = len(drawn) + (1 if paper else 0)
    cols = 1 if slots <= 1 else 2
    rows = max(1, math.ceil(slots / cols))
    titles = [data.panel.title for data in drawn]
    titles += [f"beside the paper: {paper.title}"] if paper else []
    figure = make_subplots(rows=rows, cols=cols, subplot_titles=titles or None,
                           horizontal_spacing=0.09, vertical_spacing=0.16 if rows > 1 else 0.1)
    noisy_shown = False
    for i, data in enumerate(drawn):
        row, col = divmod(i, cols)
        for noisy in (False, True):
            markers = [m for m in data.markers if m.noisy == noisy]
            if not markers:
                continue
            figure.add_trace(go.Scatter(
                x=[m.x for m in markers], y=[m.top1 for m in markers],
                error_y={"type": "data", "array": [m.sd for m in markers], "visible": data.seeded},
                error_x={"type": "data", "array": [m.x_err for m in markers], "visible": noisy},
                text=[m.label for m in markers], mode="markers", legendgroup="noisy" if noisy
                else "trials", name="noisy latency (IQR; off the front)" if noisy
                else data.series_name, showlegend=i == 0 if not noisy else not noisy_shown,
                marker={"color": TRIALS, "size": 9,
                        "symbol": "circle-open" if noisy else "circle"},
                hovertemplate="%{text}<br>top-1 %{y:.2f} %<br>%{x:.4g}<extra></extra>"),
                row=row + 1, col=col + 1)
            noisy_shown = noisy_shown or noisy
        figure.add_trace(go.Scatter(
            x=[m.x for m in data.front], y=[m.top1 for m in data.front], mode="lines+markers+text",
            text=[m.label for m in data.front],
            textposition=["top left" if k % 2 else "bottom right" for k in range(len(data.front))],
            textfont={"size": 10, "color": FRONT}, line={"dash": "dot", "color": FRONT},
            marker={"symbol": "star", "size": 13, "color": FRONT}, legendgroup="front",
            name="Pareto front (labelled; every point on hover)", showlegend=i == 0,
            hoverinfo="skip"), row=row + 1, col=col + 1)
        _axis(figure, [m.x for m in data.markers], data.panel.log_x, data.panel.x_title,
              row + 1, col + 1)
        figure.update_yaxes(title_text=Y_TITLE, row=row + 1, col=col + 1)
    if paper:
        prow, pcol = (v + 1 for v in divmod(len(drawn), cols))
        figure.add_trace(go.Scatter(
            x=[o[0] for o in paper.ours], y=[o[1] for o in paper.ours], mode="markers",
            text=[paper.label(o[3]) for o in paper.ours], marker={"color": TRIALS, "size": 9},
            error_y={"type": "data", "array": [o[2] for o in paper.ours]}, legendgroup="trials",
            showlegend=False, hovertemplate="%{text}<br>%{y:.3f}<br>%{x:.3g}×<extra></extra>"),
            row=prow, col=pcol)
        figure.add_trace(go.Scatter(
            x=[t[0] for t in paper.theirs], y=[t[1] for t in paper.theirs], mode="markers",
            text=[t[2] for t in paper.theirs], marker={"symbol": "diamond", "size": 9,
                                                      "color": PAPER},
            name="the paper (ImageNet, 224 px)",
            hovertemplate="%{text}<br>%{y:.3f}<br>%{x:.3g}×<extra></extra>"), row=prow, col=pcol)
        xs = [o[0] for o in paper.ours] + [t[0] for t in paper.theirs]
        _axis(figure, xs, True, "mult-adds relative to the reference network (log)", prow, pcol)
        figure.update_yaxes(title_text=f"top-1 relative to {paper.anchor_label}", row=prow,
                            col=pcol)
    figure.update_layout(height=475 * rows, autosize=True,
                         legend={"orientation": "h", "y": -0.08, "x": 0},
                         margin={"l": 60, "r": 30, "t": 40, "b": 60})
    path.parent.mkdir(parents=True, exist_ok=True)
    page = figure.to_html(include_plotlyjs="inline", full_html=True, default_width="100%",
                          config={"responsive": True})
    heading = (f'<h1 style="font-family:sans-serif;font-size:20px">'
               f"{html.escape(title_of(summary, beside))}</h1>")
    if missing:
        heading += ('<p class="not-drawn" style="font-family:sans-serif">Not drawn, nothing '
                    "measured in this study: " + "; ".join(
                        html.escape(f"{d.panel.title} (no {d.panel.x.label})") for d in missing)
                    + "</p>")
    page = page.replace("<body>", "<body>" + heading, 1)
    if reload_s:
        page = page.replace("<head>", f'<head><meta http-equiv="refresh" content="{reload_s:g}">',
                            1)
    write_text(path, page.replace("</body>", trials_table_html(summary) + "</body>"),
               what="the sweep's report")
    return path


TABLE_FIGURES = (metrics.TOP5, metrics.MULT_ADDS, metrics.PARAMS, metrics.LATENCY)
_SORT_JS = """<script>
document.querySelectorAll('table.trials th').forEach((th, column) =>
    th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0], rows = Array.from(body.rows);
  const up = th.dataset.order !== 'up'; th.dataset.order = up ? 'up' : 'down';
  const key = r => { const t = r.cells[column].dataset.v ?? r.cells[column].textContent;
                     const n = parseFloat(t); return isNaN(n) ? t : n; };
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (up ? 1 : -1));
  rows.forEach(r => body.appendChild(r));
}));
</script>"""


def trials_table_html(summary: SweepSummary) -> str:
    """Every trial, sortable by any column (click its header)."""
    names = summary.param_names
    by_point = repeats(summary.rows)
    heads = ["#", "state", "front", *(n.rsplit(".", 1)[-1] for n in names),
             f"{metrics.TOP1.label} % (point: mean ± sd, n)",
             *(f"{f.label} {f.unit}" for f in TABLE_FIGURES), "note"]
    lines = ['<h2 style="font-family:sans-serif">Trials</h2>',
             '<table class="trials" style="border-collapse:collapse;font-family:sans-serif;'
             'font-size:13px"><thead><tr>'
             + "".join(f'<th style="cursor:pointer;border-bottom:1px solid #888;padding:2px 8px">'
                       f"{html.escape(h)}</th>" for h in heads) + "</tr></thead><tbody>"]
    for row in sorted(summary.rows, key=lambda r: r.number):
        top1 = row.figures.get(metrics.TOP1.name)
        mean, sd, n = by_point.get(row.point, (None, None, 0))
        point = f" ({100 * mean:.2f} ± {100 * sd:.2f}, n={n})" if sd is not None else ""
        cells = [(row.number, str(row.number)), (row.state, row.state),
                 ("1" if row.rank == 0 else "0", "★" if row.rank == 0 else ""),
                 *((row.params.get(n), str(row.params.get(n, ""))) for n in names),
                 (top1, f"{metrics.TOP1.shown(top1)}{point}" if top1 is not None else "")]
        for f in TABLE_FIGURES:
            value = row.figures.get(f.name)
            text = f.shown(value)
            if f is metrics.LATENCY and row.figures.get(metrics.LATENCY_NOISY.name):
                text += " (noisy)"
            cells.append((value, text))
        cells.append((row.note, row.note[:120]))
        lines.append("<tr>" + "".join(
            f'<td data-v="{html.escape(str("" if v is None else v))}" style="padding:2px 8px;'
            f'text-align:right">{html.escape(t)}</td>' for v, t in cells) + "</tr>")
    lines.append("</tbody></table>" + _SORT_JS)
    return "\n".join(lines)


def plain_log_axis(ax, values: list[float]) -> None:
    """A log x axis (matplotlib) ticked 1-2-5 in plain numbers, no ``2×10⁰`` minor labels."""
    import matplotlib.ticker

    ax.set_xscale("log")
    ticks = nice_ticks(min(values) / 1.3, max(values) * 1.3)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def png_reports(summary: SweepSummary, panels: list[PanelData], out_dir: Path,
                beside: Beside | None = None) -> list[Path]:
    """One PNG per panel (matplotlib), labels placed so that none overlaps another."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for data in panels:
        if not data.markers:
            continue
        fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
        for noisy in (False, True):
            markers = [m for m in data.markers if m.noisy == noisy]
            if markers:
                ax.errorbar([m.x for m in markers], [m.top1 for m in markers],
                            yerr=[m.sd for m in markers] if data.seeded else None,
                            xerr=[m.x_err for m in markers] if noisy else None,
                            fmt="o", ms=5, capsize=3, color=TRIALS,
                            mfc="none" if noisy else TRIALS,
                            label="noisy latency (IQR; off the front)" if noisy
                            else data.series_name)
        ax.plot([m.x for m in data.front], [m.top1 for m in data.front], "*--", color=FRONT,
                markersize=11, label="Pareto front")
        if data.panel.log_x:
            plain_log_axis(ax, [m.x for m in data.markers])
        ax.set(xlabel=data.panel.x_title, ylabel=Y_TITLE,
               title=f"{title_of(summary, beside)}\n{data.panel.title}")
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
        ax.margins(x=0.12, y=0.12)
        ax.legend(fontsize=8, loc="lower right")
        place_labels(ax, [(m.x, m.top1) for m in data.markers], [m.label for m in data.markers],
                     [TRIALS] * len(data.markers))
        fig.tight_layout()
        path = out_dir / f"{data.panel.name}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def write_report(summary: SweepSummary, out_dir: Path, include_noisy: bool = False,
                 reload_s: float | None = None,
                 beside: Callable[[str, Path], Beside | None] | None = None) -> list[Path]:
    """report.html and the PNGs; with ``beside`` (the study's name and this folder, where
    trials.csv is, to what it shows beside the sweep), that panel too."""
    out_dir.mkdir(parents=True, exist_ok=True)
    panels = [panel_data(summary, panel, include_noisy) for panel in PANELS]
    extra = beside(summary.study_name, out_dir) if beside else None
    written = [plotly_report(summary, panels, extra, out_dir / "report.html", reload_s),
               *png_reports(summary, panels, out_dir, extra)]
    drawn = extra.draw(out_dir) if extra and extra.panel else None
    return written + ([drawn] if drawn else [])
