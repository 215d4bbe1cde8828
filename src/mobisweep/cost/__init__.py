"""Mult-adds and parameters of any ``nn.Module``, counted the MobileNet paper's way (see ``count``)."""

from mobisweep.cost.count import Cost, count_cost
from mobisweep.cost.layers import LAYER_TYPES, layer_hooks, layer_type, typed_layers

__all__ = ["LAYER_TYPES", "Cost", "count_cost", "layer_hooks", "layer_type", "typed_layers"]
