"""A trial's config composed once per group choice is the config Hydra composes for it."""

from __future__ import annotations

from hydra import compose as hydra_compose
from omegaconf import OmegaConf

from mobisweep.sweep.compose import TrialComposer


def with_hydra(overrides):
    return hydra_compose("config", list(overrides), return_hydra_config=True)


def plain(cfg):
    return {k: v for k, v in OmegaConf.to_container(cfg, resolve=False).items() if k != "hydra"}


def test_plain_values_on_a_template_equal_hydras_own_composition(compose):
    calls = []

    def load(overrides):
        calls.append(list(overrides))
        return with_hydra(["+sweep=design_space", *overrides])

    composer = TrialComposer(load)
    points = [["model.alpha=0.5", "data.rho=0.714", "model.depth=2", "seed=1", "trial_number=7",
               "study_name='stüdy ü'"],
              ["model.alpha=0.25", "data.rho=1.0", "model.depth=0", "seed=0", "trial_number=8"]]
    for overrides in points:
        fast, full = composer(overrides), with_hydra(["+sweep=design_space", *overrides])
        assert plain(fast) == plain(full)
        assert fast.data.resolution == full.data.resolution
    assert calls == [[]]  # one composition for both points


def test_a_group_choice_or_an_unknown_key_goes_to_hydra(compose):
    calls = []

    def load(overrides):
        calls.append(list(overrides))
        return with_hydra(overrides)

    composer = TrialComposer(load)
    assert composer(["model=mobilenet_shallow", "seed=3"]).model.depth == 0
    assert composer(["seed=3", "model.alpha=0.5"]).model.alpha == 0.5
    assert composer(["+extra=1"]).extra == 1
    # The template (no group chosen), then the group choice composed by Hydra whole; the second
    # config is the template's; an addition is a template of its own.
    assert calls == [[], ["model=mobilenet_shallow", "seed=3"], ["+extra=1"]]
