"""mobisweep's counts beside the paper's published figures (Tables 2 and 4-9)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mobisweep.cost.count import Cost
from mobisweep.paper.published import PAPER_ROWS, TABLE_2, PaperRow

# The cost of the network that a row's config overrides name (``trial.build_and_count``).
CountOverrides = Callable[[Sequence[str]], Cost]


@dataclass(frozen=True)
class Comparison:
    """One paper row and mobisweep's count of the same network."""

    row: PaperRow
    cost: Cost

    @property
    def mult_adds_M(self) -> float:  # noqa: N802
        """mobisweep's mult-adds counted as the paper counted this row (with or without the FC)."""
        fc = self.cost.mult_adds_by_type["fc"] if self.row.without_fc else 0
        return (self.cost.mult_adds - fc) / 1e6

    @property
    def note(self) -> str:
        """The row's explanation, filled with this count's figures."""
        figures = {kind: v / 1e6 for kind, v in self.cost.mult_adds_by_type.items()}
        return self.row.note.format(mult_adds=self.cost.mult_adds_M,
                                    flops=2 * self.cost.mult_adds_M, **figures)

    @property
    def mult_adds_delta(self) -> float:
        return self.mult_adds_M - self.row.mult_adds_M

    @property
    def params_delta(self) -> float:
        return self.cost.params_M - self.row.params_M


def compare_with_paper(count: CountOverrides,
                       rows: Sequence[PaperRow] = PAPER_ROWS) -> list[Comparison]:
    """Count every row's network, built from mobisweep's configs by ``count``."""
    costs: dict[tuple[str, ...], Cost] = {}
    for row in rows:
        if row.overrides not in costs:  # Tables 4-8 repeat MobileNet 1.0-224
            costs[row.overrides] = count(row.overrides)
    return [Comparison(row, costs[row.overrides]) for row in rows]


def table_2_shares(cost: Cost) -> dict[str, tuple[float, float]]:
    """mobisweep's (% mult-adds, % params) for the layer types of the paper's Table 2."""
    return {kind: (cost.mult_adds_share(kind), cost.params_share(kind)) for kind in TABLE_2}
