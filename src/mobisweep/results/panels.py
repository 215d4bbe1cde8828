"""The trade-off panels of a study, defined once and computed once; ``report`` draws them with
Plotly (report.html) and matplotlib (PNGs) from the same ``PanelData``."""

from __future__ import annotations

from dataclasses import dataclass

from mobisweep.core import metrics
from mobisweep.core.metrics import Figure
from mobisweep.core.pareto import pareto_front
from mobisweep.results.summary import SweepSummary, TrialRow, mean_sd


@dataclass(frozen=True)
class Panel:
    name: str  # file name of its PNG
    x: Figure
    title: str
    log_x: bool

    @property
    def x_title(self) -> str:
        return f"{self.x.label} ({self.x.unit}{', log' if self.log_x else ''})"


PANELS = (
    Panel("top1_vs_mult_adds", metrics.MULT_ADDS, "top-1 vs mult-adds", True),
    Panel("top1_vs_params", metrics.PARAMS, "top-1 vs parameters", True),
    Panel("top1_vs_latency", metrics.LATENCY, "top-1 vs measured latency", False),
)
Y_TITLE = f"{metrics.TOP1.label} ({metrics.TOP1.unit})"


@dataclass
class Marker:
    """One point of a panel: a trial, or the mean of a point's seeds (with their sd and n)."""

    label: str
    x: float
    top1: float  # percent
    sd: float  # percent; 0 for one seed
    n: int
    x_err: float = 0.0  # half the latency's IQR: how far the measured x spreads
    noisy: bool = False  # a latency whose spread never settled: drawn hollow, off the front


@dataclass
class PanelData:
    panel: Panel
    markers: list[Marker]
    front: list[Marker]  # the Pareto front (top-1 up, x down), by x

    @property
    def seeded(self) -> bool:
        return any(m.n > 1 for m in self.markers)

    @property
    def series_name(self) -> str:
        return "trials (mean ± sd over seeds)" if self.seeded else "trials"

    def on_front(self, marker: Marker) -> bool:
        return any(marker is m for m in self.front)


def panel_data(summary: SweepSummary, panel: Panel, include_noisy: bool = False) -> PanelData:
    """The panel's markers (seeds of a point averaged) and its Pareto front. A noisy latency is
    kept off the front unless ``include_noisy``."""
    x, top1 = panel.x.name, metrics.TOP1.name
    groups: dict[tuple, list[TrialRow]] = {}
    for r in summary.rows:
        if r.state == "COMPLETE" and x in r.figures and top1 in r.figures:
            groups.setdefault(r.point, []).append(r)
    markers = []
    for rows in groups.values():
        mean, sd, n = mean_sd([100 * r.figures[top1] for r in rows])
        label = rows[0].label + (f" (n={n})" if n > 1 else "")
        marker = Marker(label, sum(r.figures[x] for r in rows) / n, mean, sd or 0.0, n)
        if panel.x.source == "latency":
            marker.noisy = any(r.figures.get(metrics.LATENCY_NOISY.name) for r in rows)
            marker.x_err = max(r.figures.get(metrics.LATENCY_IQR.name, 0.0) for r in rows) / 2
        markers.append(marker)
    candidates = [m for m in markers if include_noisy or not m.noisy]
    front = [candidates[i] for i in pareto_front([(m.top1, m.x) for m in candidates],
                                                 ("maximize", "minimize"))]
    return PanelData(panel, markers, sorted(front, key=lambda m: m.x))


def nice_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps across ``[low, high]`` for a log axis, labelled as plain numbers."""
    import math

    ticks = []
    for power in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for step in (1, 2, 5):
            value = step * 10.0 ** power
            if low <= value <= high:
                ticks.append(value)
    return ticks or [low, high]
