"""``gap_vs_budget.png``: a ladder's gap with its ±2 SE band against the training budget (log x),
beside the paper's figure, from the committed ``trials.csv`` alone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from textwrap import fill

from mobisweep.paper.ladder import COMPARISONS, rungs, trend, verdict


def draw_gap_vs_budget(name: str, rows: Sequence[dict[str, str]], out: Path) -> Path | None:
    """None where no budget has both networks finished."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comparison = COMPARISONS[name]
    found = rungs(comparison, rows)
    if not found:
        return None
    epochs = [r.epochs for r in found]
    gap = [100 * r.gap for r in found]
    band = [200 * r.se for r in found]
    fig, ax = plt.subplots(figsize=(8.5, 5.5), dpi=120)
    blue, red = "#1f77b4", "#d62728"
    ax.fill_between(epochs, [g - b for g, b in zip(gap, band)], [g + b for g, b in zip(gap, band)],
                    color=blue, alpha=0.2, label="± 2 standard errors")
    ax.plot(
        epochs,
        gap,
        "o-",
        color=blue,
        label=f"mobisweep (mean of n={'/'.join(sorted({str(r.n) for r in found}))} paired seeds)",
    )
    for rung in found:
        ax.annotate(
            f"{100 * rung.gap:+.1f}",
            (rung.epochs, 100 * rung.gap),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
            color=blue,
        )
    slope = trend(found)
    if slope is not None:
        ax.plot(epochs, [100 * slope.gap_at(e) for e in epochs],
                ":", color="grey", label=f"weighted fit over {slope.budgets} budgets: "
                f"{100 * slope.slope:+.2f} ± {100 * slope.se:.2f} per doubling")
    ax.axhline(
        comparison.paper_gap,
        color=red,
        ls="--",
        label=f"the paper, ImageNet ({comparison.paper_source}): {comparison.paper_gap:+.1f}",
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xticks(epochs, [str(e) for e in epochs])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel="training budget (epochs, each a complete schedule)",
           ylabel=f"{comparison.a} − {comparison.b} (top-1 points)",
           title=f"{name}: {comparison.title}\n{fill(verdict(comparison, found), 110)}")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3, which="both")
    ax.margins(x=0.1, y=0.15)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path = out / "gap_vs_budget.png"
    fig.savefig(path)
    plt.close(fig)
    return path
