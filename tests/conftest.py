"""Shared fixtures: compose mobisweep's real configs, and run its commands as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from mobisweep.config.loading import config_composer

if TYPE_CHECKING:
    from tests.support.services import Postgres
    from tests.support.slurm import Slurm

REPO = Path(__file__).resolve().parents[1]

# Nothing on a tested path may reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")

Compose = Callable[[Sequence[str]], DictConfig]

# A trial of a few seconds for sweeper, launcher and service tests: digits, one epoch, no latency
# (latency is serialized machine-wide, and not what those tests are about).
TINY_TRIAL = ["data=digits", "data.train_subset=300", "trainer.max_epochs=1", "latency=none",
              "logger.mode=offline"]


def _composer(config_name: str) -> Iterator[Compose]:
    GlobalHydra.instance().clear()
    with config_composer(config_name) as compose_config:
        yield compose_config
    GlobalHydra.instance().clear()


@pytest.fixture
def compose() -> Iterator[Compose]:
    """Compose the main config (``conf/config.yaml``) with overrides."""
    yield from _composer("config")


@pytest.fixture
def compose_cost() -> Iterator[Compose]:
    """Compose the measuring commands' config: the main tree at ImageNet's 224 px, 1000 classes."""
    yield from _composer("measure")


def run_module(module: str, *args: str, cwd: Path | None = None, timeout: float = 600,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` in a fresh interpreter and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd or REPO, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "COLUMNS": "250", **(env or {})},
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server on 127.0.0.1 for this session (skipped, saying why, where none
    starts)."""
    from tests.support.services import start_postgres

    try:
        server, stop = start_postgres()
    except RuntimeError as error:
        if os.environ.get("CI"):
            raise  # CI installs PostgreSQL: a server that does not start there is a failure
        pytest.skip(f"no PostgreSQL server: {error}")
    yield server
    stop()


@pytest.fixture(scope="session")
def slurm() -> Iterator[Slurm]:
    """A one-node SLURM cluster on 127.0.0.1 for this session (skipped, saying why, where none
    starts; CI installs it, so there a cluster that does not start is a failure)."""
    from tests.support.slurm import start_slurm

    try:
        cluster, stop = start_slurm()
    except RuntimeError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no SLURM cluster: {error}")
    yield cluster
    stop()
