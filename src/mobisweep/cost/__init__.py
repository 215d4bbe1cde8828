"""Mult-adds and parameters of any ``nn.Module``, counted the MobileNet paper's way (``count``),
by layer type (``layers``). Importing this package imports nothing: torch loads with ``count``."""
