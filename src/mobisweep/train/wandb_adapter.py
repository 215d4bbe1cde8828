"""What mobisweep needs of Lightning's W&B logger beyond its public API, in one module.

- Lightning's ``WandbLogger`` passes ``anonymous=None`` to ``wandb.init`` from its private
  ``_wandb_init`` dictionary, which wandb >= 0.22 warns about on every trial; the only way to drop
  it is to edit that dictionary.
- Whether the logger has started its run is its private ``_experiment``: the public
  ``experiment`` property would start one just to finish it.
If Lightning renames either, this is the module to change.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.loggers import Logger, WandbLogger


class MobisweepWandbLogger(WandbLogger):
    """Lightning's WandbLogger without its ``anonymous=None``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._wandb_init.get("anonymous") is None:
            self._wandb_init.pop("anonymous", None)


def started_run(logger: Logger | None) -> Any:
    """The W&B run a WandbLogger has started, or None (another logger, or none started yet)."""
    return logger._experiment if isinstance(logger, WandbLogger) else None
