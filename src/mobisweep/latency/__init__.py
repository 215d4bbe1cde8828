"""Measured inference latency (``measure``), timed side by side (``side_by_side``), and where it
goes per layer type (``breakdown``). Importing this package imports nothing: torch loads with
``measure``."""
