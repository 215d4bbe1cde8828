"""W&B's mode for a run, from the config and the environment (no W&B import): online with an API
key and a reachable server, offline otherwise, disabled on request."""

from __future__ import annotations

import logging
import netrc
import os
import socket
from urllib.parse import urlparse

from mobisweep.config.settings import check_mode

log = logging.getLogger(__name__)


def has_wandb_key() -> bool:
    """An API key in the environment or in ``~/.netrc`` (where ``wandb login`` puts it)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def wandb_mode(requested: str) -> str:
    """``auto`` is ``WANDB_MODE`` when set, else online with an API key and offline without.

    Online needs W&B's server: where it cannot be reached the run goes offline with one warning
    (its files sync later) instead of waiting out W&B's init timeout and failing the trial.
    """
    check_mode(requested)
    mode = requested
    if requested == "auto":
        from_env = os.environ.get("WANDB_MODE", "").lower()
        if from_env in ("online", "offline", "disabled"):
            mode = from_env
        elif from_env == "dryrun":
            mode = "offline"
        else:
            mode = "online" if has_wandb_key() else "offline"
    if mode == "online" and not wandb_reachable():
        return "offline"
    return mode


_REACHABLE: dict[str, bool] = {}


def wandb_reachable(timeout: float = 5.0) -> bool:
    """Whether W&B's server (``WANDB_BASE_URL``, default api.wandb.ai) accepts a connection.

    Asked once per process and server; warns once when it does not.
    """
    base_url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    if base_url not in _REACHABLE:
        parsed = urlparse(base_url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            socket.create_connection((parsed.hostname, port), timeout=timeout).close()
            _REACHABLE[base_url] = True
        except OSError as error:
            _REACHABLE[base_url] = False
            log.warning("W&B server %s unreachable (%s): logging offline; sync later with "
                        "`wandb sync <run dir>`", base_url, error.strerror or error)
    return _REACHABLE[base_url]
