"""The comparison's figure: hypervolume found against compute spent, median and interquartile
band over the replay seeds, one panel per worker count."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def hypervolume_at(curve: str, x: float) -> float:
    """The best hypervolume share a replay had reached by compute share ``x`` (its ``curve``
    column: ``compute:share`` pairs)."""
    best = 0.0
    for pair in filter(None, curve.split(";")):
        spent, share = map(float, pair.split(":"))
        if spent <= x:
            best = max(best, share)
    return best


def draw_hypervolume_vs_compute(rows: Sequence[dict[str, Any]], out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workers = sorted({int(r["workers"]) for r in rows})
    methods = list(dict.fromkeys(str(r["method"]) for r in rows))
    xs = [i / 200 for i in range(201)]
    fig, axes = plt.subplots(1, len(workers), figsize=(6.5 * len(workers), 5), dpi=110,
                             sharey=True, squeeze=False)
    colors = plt.get_cmap("tab10")
    for ax, k in zip(axes[0], workers):
        for i, method in enumerate(methods):
            group = [r for r in rows if r["method"] == method and int(r["workers"]) == k]
            if not group:
                continue
            ys = [[hypervolume_at(str(r["curve"]), x) for r in group] for x in xs]
            quartiles = [statistics.quantiles(y, n=4, method="inclusive") if len(y) > 1
                         else [y[0]] * 3 for y in ys]
            color = colors(i % 10)
            ax.plot(xs, [q[1] for q in quartiles], color=color, lw=1.8,
                    label=method, ls="-" if method != "moasha" else "--")
            ax.fill_between(xs, [q[0] for q in quartiles], [q[2] for q in quartiles],
                            color=color, alpha=0.15, lw=0)
        oracle = statistics.median(float(r["oracle"]) for r in rows if int(r["workers"]) == k)
        ax.axvline(oracle, color="grey", ls=":", lw=1)
        ax.text(oracle, 0.02, " oracle bound", color="grey", fontsize=8)
        ax.axhline(0.95, color="grey", ls="--", lw=0.6)
        ax.set(xlabel="compute spent (share of the whole grid's worker-seconds)",
               title=f"{k} worker{'s' if k > 1 else ''}", xlim=(0, 1), ylim=(0, 1.01))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("hypervolume found (share of the whole table's)")
    axes[0][-1].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Replays of {title}: median and interquartile band over seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
