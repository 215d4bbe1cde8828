"""timm's model names, read from its sources without importing it (importing timm imports torch):
a misspelt ``model.model_name`` is refused in a second, before any training stack loads."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

_REGISTERED = re.compile(r"@register_model\s*\ndef\s+(\w+)\s*\(")
_DEPRECATIONS = re.compile(r"register_model_deprecations\(\s*__name__,\s*\{(.*?)\}\s*\)", re.DOTALL)
_OLD_NAME = re.compile(r"['\"]([\w.\-]+)['\"]\s*:")
# Names timm resolves elsewhere than its own registry (the Hugging Face Hub, a local folder).
_PREFIXES = ("hf-hub:", "hf_hub:", "local-dir:")


@functools.cache
def timm_model_names() -> frozenset[str]:
    """Every architecture timm registers, its deprecated aliases included; empty where timm is not
    installed or its sources are not laid out as expected (then nothing is refused here)."""
    spec = importlib.util.find_spec("timm")
    if spec is None or spec.origin is None:
        return frozenset()
    names: set[str] = set()
    for source in (Path(spec.origin).parent / "models").glob("*.py"):
        text = source.read_text(encoding="utf-8", errors="replace")
        names.update(_REGISTERED.findall(text))
        for block in _DEPRECATIONS.findall(text):
            names.update(_OLD_NAME.findall(block))
    return frozenset(names)


def is_timm_model(name: str) -> bool | None:
    """Whether timm builds ``name`` (``arch`` or ``arch.pretrained_tag``); None: cannot tell."""
    if name.startswith(_PREFIXES):
        return None
    names = timm_model_names()
    if not names:
        return None
    return name.split(".", 1)[0] in names
