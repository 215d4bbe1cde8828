"""How mobisweep names a model: the paper's way (``0.75 MobileNet-192``), one rule everywhere."""

from __future__ import annotations

from typing import Any

from mobisweep.models.table1 import PAPER_DEPTH

MOBILENET = "mobilenet_v1"


def mobilenet_variant(alpha: float, depth: int | None, block: str | None) -> list[str]:
    """``["0.75"]``, with what differs from the paper's network after it (``depth0``, ``full``)."""
    alpha = float(alpha)
    parts = [f"{alpha:.1f}" if alpha == round(alpha, 1) else f"{alpha:g}"]
    if depth not in (None, PAPER_DEPTH):
        parts.append(f"depth{depth}")
    if block not in (None, "separable"):
        parts.append(str(block))
    return parts


def network_config(params: dict[str, Any]) -> str:
    """The config a sweep's parameters chose the network by: ``baseline=vgg16`` (the network with
    its recipe) or ``model=vgg16``; a sweep that names neither varies MobileNet."""
    return str(params.get("baseline") or params.get("model") or "mobilenet")


def model_label(model_cfg: Any) -> str:
    """A model config's name: ``mobilenet_v1-0.75``, ``vgg16``, or the timm model's name."""
    if "model_name" in model_cfg:  # timm.create_model
        return str(model_cfg["model_name"])
    name = str(model_cfg.get("name") or str(model_cfg["_target_"]).rsplit(".", 1)[-1])
    if not name.startswith(MOBILENET):
        return name
    return "-".join([MOBILENET, *mobilenet_variant(model_cfg.get("alpha", 1.0),
                                                   model_cfg.get("depth"), model_cfg.get("block"))])


def point_label(config: dict[str, Any]) -> str:
    """A trial's name on a plot, from its flat config (``result.json``): ``0.75-48`` for MobileNet
    (alpha-resolution, as the paper's ``0.75 MobileNet-192``), else the model and resolution."""
    if config.get("alpha") is None:
        return f"{config['model']}-{config['resolution']}"
    alpha, *rest = mobilenet_variant(config["alpha"], config.get("depth"), config.get("block"))
    return " ".join([f"{alpha}-{config['resolution']}", *rest])
