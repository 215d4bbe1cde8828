"""``python -m mobisweep.latency``: measured latency of the configured model, and where it goes.

    python -m mobisweep.latency model.alpha=1.0
    python -m mobisweep.latency model.alpha=1.0 +breakdown=true
    python -m mobisweep.latency latency=onnxruntime data.resolution=160
    python -m mobisweep.latency -m model.alpha=1.0,0.5,0.25     # several configs, one table each
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig
from rich.table import Table

from mobisweep.config.console import config_errors_exit, output_console
from mobisweep.config.loading import CONFIG_DIR
from mobisweep.cost.layers import LAYER_TYPES
from mobisweep.latency.breakdown import latency_breakdown
from mobisweep.latency.measure import Latency, measure_configured
from mobisweep.models import model_label
from mobisweep.train.assembly import build_and_count


def latency_table(label: str, latency: Latency, mult_adds_M: float) -> Table:  # noqa: N803
    table = Table(title=f"{label} at {latency.resolution}x{latency.resolution}, "
                        f"{mult_adds_M:,.1f} M mult-adds")
    columns = ("backend", "device", "threads", "batch", "median ms", "p90 ms", "mean ms", "IQR ms",
               "CV", "runs", "settled")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(latency.backend, latency.device, str(latency.threads), str(latency.batch_size),
                  f"{latency.median_ms:.3f}", f"{latency.p90_ms:.3f}", f"{latency.mean_ms:.3f}",
                  f"{latency.iqr_ms:.3f}", f"{latency.cv:.3f}", str(latency.runs),
                  "no (noisy)" if latency.noisy else "yes")
    return table


def breakdown_table(times: dict[str, float], mult_adds_by_type: dict[str, int]) -> Table:
    table = Table(title="Where the time goes (PyTorch profiler, eager, CPU) beside the mult-adds")
    for column in ("layer type", "ms / image", "% time", "% mult-adds"):
        table.add_column(column, justify="left" if column == "layer type" else "right")
    total_mult_adds = sum(mult_adds_by_type.values())
    for kind, name in LAYER_TYPES.items():
        table.add_row(name, f"{times[kind]:.3f}", f"{100 * times[kind] / times['total']:.1f}",
                      f"{100 * mult_adds_by_type[kind] / total_mult_adds:.1f}")
    table.add_row("total", f"{times['total']:.3f}", "100.0", "100.0", style="bold")
    return table


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="measure")
def main(cfg: DictConfig) -> None:
    console = output_console()
    with config_errors_exit():
        model, cost = build_and_count(cfg)
        latency = measure_configured(model, cfg.data.resolution, cfg.latency)
        console.print(latency_table(model_label(cfg.model), latency, cost.mult_adds_M))
        if cfg.get("breakdown"):
            times = latency_breakdown(model, cfg.data.resolution)
            console.print(breakdown_table(times, cost.mult_adds_by_type))


if __name__ == "__main__":
    main()
