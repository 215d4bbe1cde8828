"""``python -m mobisweep.cost``: the configured model's mult-adds and params, or the paper's tables.

    python -m mobisweep.cost model=mobilenet model.alpha=0.75 data.resolution=192
    python -m mobisweep.cost model=vgg16
    python -m mobisweep.cost +table=paper
"""

from __future__ import annotations

from collections import Counter
from typing import cast

import hydra
from omegaconf import DictConfig
from rich.table import Table
from torch import Tensor, nn

from mobisweep.config.console import config_errors_exit, output_console
from mobisweep.config.loading import CONFIG_DIR, config_composer
from mobisweep.core.errors import ConfigError
from mobisweep.cost.count import Cost
from mobisweep.cost.layers import LAYER_TYPES, layer_type
from mobisweep.models import model_label
from mobisweep.paper.counts import compare_with_paper, table_2_shares
from mobisweep.paper.published import TABLE_2
from mobisweep.train.assembly import build_and_count


def cost_table(label: str, cost: Cost) -> Table:
    """The cost of one model, with the per-layer-type breakdown of the paper's Table 2."""
    table = Table(title=f"{label} at {cost.resolution}x{cost.resolution}: "
                        f"{cost.mult_adds_M:,.2f} M mult-adds, {cost.params_M:,.3f} M params "
                        f"({cost.params_all / 1e6:,.3f} M with BatchNorm)")
    for column in ("layer type", "M mult-adds", "% mult-adds", "M params", "% params"):
        table.add_column(column, justify="left" if column == "layer type" else "right")
    for kind, name in LAYER_TYPES.items():
        table.add_row(
            name,
            f"{cost.mult_adds_by_type[kind] / 1e6:,.2f}",
            f"{cost.mult_adds_share(kind):.2f}",
            f"{cost.params_by_type[kind] / 1e6:,.4f}",
            f"{cost.params_share(kind):.2f}",
        )
    table.add_row("total", f"{cost.mult_adds_M:,.2f}", "100.00", f"{cost.params_M:,.4f}", "100.00",
                  style="bold")
    return table


def comparison_table(compose) -> Table:
    table = Table(title="The paper's Tables 4-9 (ImageNet, 224 px unless noted) beside mobisweep")
    for column in ("table", "model", "res", "paper M mult-adds", "mobisweep", "Δ",
                   "paper M params", "mobisweep", "Δ", "why they differ"):
        table.add_column(column, justify="right" if column not in ("model", "why they differ")
                         else "left", overflow="fold")
    for c in compare_with_paper(lambda overrides: build_and_count(compose(overrides))[1]):
        counted = f"{c.mult_adds_M:,.1f}"
        if c.row.without_fc:
            counted += f" (with FC {c.cost.mult_adds_M:,.1f})"
        table.add_row(
            str(c.row.table),
            c.row.name,
            str(c.row.resolution),
            f"{c.row.mult_adds_M:,g}",
            counted,
            f"{c.mult_adds_delta:+,.1f}",
            f"{c.row.params_M:g}",
            f"{c.cost.params_M:.3f}",
            f"{c.params_delta:+.3f}",
            c.note,
        )
    return table


def weights_only_params(model: nn.Module) -> Counter[str]:
    """Conv and linear weights per layer type, biases left out (the paper's Table 2 convention)."""
    counts: Counter[str] = Counter()
    for module in model.modules():
        kind = layer_type(module)
        if kind is not None:
            counts[kind] += cast(Tensor, module.weight).numel()
    return counts


def table_2(compose) -> tuple[Table, list[str]]:
    model, cost = build_and_count(compose([]))
    table = Table(
        title="The paper's Table 2 (MobileNet 1.0-224) beside mobisweep, with the arithmetic"
    )
    for column in ("layer type", "paper % mult-adds", "mobisweep", "=", "Δ",
                   "paper % params", "mobisweep", "=", "Δ"):
        table.add_column(column, justify="left" if column in ("layer type", "=") else "right")
    shares = table_2_shares(cost)
    for kind, (paper_ma, paper_p) in TABLE_2.items():
        ma, p = shares[kind]
        table.add_row(LAYER_TYPES[kind], f"{paper_ma:.2f}", f"{ma:.2f}",
                      f"{cost.mult_adds_by_type[kind] / 1e6:,.2f} M / {cost.mult_adds_M:,.2f} M",
                      f"{ma - paper_ma:+.2f}", f"{paper_p:.2f}", f"{p:.2f}",
                      f"{cost.params_by_type[kind]:,} / {cost.params:,}", f"{p - paper_p:+.2f}")
    weights = weights_only_params(model)
    total_weights = sum(weights.values())
    conv_ma = cost.mult_adds_by_type["conv"]
    paper_sum = sum(ma for ma, _ in TABLE_2.values())
    conv_share = 100 * conv_ma / cost.mult_adds
    fc_biases = cost.params_by_type["fc"] - weights["fc"]
    notes = [
        f"The paper's four rows sum to {paper_sum:.2f} % of mult-adds; "
        f"mobisweep's to {sum(ma for ma, _ in shares.values()):.2f} %.",
        f"Its 3x3-conv row cannot come from its own Table 1: a first conv of 112x112x32 outputs "
        f"over 3x3x3 inputs is {conv_ma:,} mult-adds = {conv_share:.2f} %, not 1.19 % "
        f"(the digits look transposed; with {conv_share:.2f} the paper's rows "
        f"would sum to {paper_sum - 1.19 + conv_share:.2f} %).",
        f"mobisweep counts biases as parameters (the FC layer's {fc_biases:,}); "
        f"the paper's parameter shares match weights only: FC {weights['fc']:,} / "
        f"{total_weights:,} = {100 * weights['fc'] / total_weights:.2f} %, "
        f"1x1 {weights['conv1x1']:,} / {total_weights:,} = "
        f"{100 * weights['conv1x1'] / total_weights:.2f} %.",
    ]
    return table, notes


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="measure")
def main(cfg: DictConfig) -> None:
    console = output_console()
    with config_errors_exit():
        which = cfg.get("table")
        if which is None:
            _, cost = build_and_count(cfg)
            console.print(cost_table(model_label(cfg.model), cost))
        elif which == "paper":
            with config_composer("measure") as compose:
                table, notes = table_2(compose)
                console.print(table)
                for note in notes:
                    console.print(f"  • {note}")
                console.print(comparison_table(compose))
        else:
            raise ConfigError("table", which, "the only table is 'paper' (+table=paper)")


if __name__ == "__main__":
    main()
