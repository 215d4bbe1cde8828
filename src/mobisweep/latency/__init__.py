"""Measured inference latency (see ``measure``) and where it goes per layer type (``breakdown``)."""

from mobisweep.config.settings import BACKENDS, DEVICES, check_settings
from mobisweep.latency.measure import (
    Latency,
    measure_configured,
    measure_latencies,
    measure_latency,
    median_of_medians,
    summarize,
    torch_threads,
)

__all__ = ["BACKENDS", "DEVICES", "Latency", "check_settings", "measure_configured",
           "measure_latencies", "measure_latency", "median_of_medians", "summarize", "torch_threads"]
