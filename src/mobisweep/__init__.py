"""mobisweep: the MobileNet v1 accuracy/cost trade-off study, reproducible and extensible."""

__version__ = "0.1.0"
