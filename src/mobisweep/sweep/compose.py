"""A trial's config from its overrides, for the sweeper's checks, costs and run folders.

Hydra composes a config from its defaults list on every call (a quarter of a second here), and a
sweep composes each point twice (checked up front, then claimed): most of a replayed sweep's time.
A trial's overrides are mostly plain values (``model.alpha=0.5``, ``trial_number=7``), which change
no defaults list. So each distinct set of config-group choices is composed by Hydra once, and the
plain values are set on a copy of it, as Hydra's own override would set them. A value for a key
the config lacks, or for a config group, goes to Hydra whole (and is refused there as before), and
so does any override of a config that does not say which groups it chose (``hydra.runtime``).
(The launcher still composes each job itself, through Hydra, from the same overrides.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf, open_dict

_ABSENT = object()


class TrialComposer:
    def __init__(self, load: Callable[[list[str]], DictConfig]) -> None:
        self.load = load  # Hydra's composition (``ConfigLoader.load_sweep_config``)
        self._templates: dict[tuple[str, ...], DictConfig] = {}
        self._parser = OverridesParser.create()

    def __call__(self, overrides: Sequence[str]) -> DictConfig:
        parsed = self._parser.parse_overrides(list(overrides))
        groups = [text for text, o in zip(overrides, parsed) if not _plain(o)]
        values = [o for o in parsed if _plain(o)]
        key = tuple(groups)
        if key not in self._templates:
            self._templates[key] = self.load(list(groups))
        template = self._templates[key]
        choices = OmegaConf.select(template, "hydra.runtime.choices", default=None)
        if choices is None or any(o.key_or_group in choices or
               OmegaConf.select(template, o.key_or_group, default=_ABSENT) is _ABSENT
               for o in values):
            return self.load(list(overrides))
        cfg = copy.deepcopy(template)
        with open_dict(cfg):
            for o in values:
                OmegaConf.update(cfg, o.key_or_group, o.value(), merge=False)
        return cfg


def _plain(override: Override) -> bool:
    """``key=value`` on a key of the config: no group, package, addition, deletion or sweep."""
    return (override.type == OverrideType.CHANGE and not override.is_sweep_override()
            and override.package is None and "/" not in override.key_or_group
            and not override.key_or_group.startswith("hydra."))
