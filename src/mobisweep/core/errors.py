"""The one error type users see for bad input: it names the offending field and value."""

from __future__ import annotations


def is_integer(value: object) -> bool:
    """An ``int`` that is not a ``bool`` (YAML's ``true`` must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """An ``int`` or ``float`` that is not a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class ConfigError(ValueError):
    """A config value mobisweep refuses, reported as ``field=value: reason`` on one line."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")

    def within(self, prefix: str) -> ConfigError:
        """The same error with its field placed under a config node (``alpha`` ->
        ``model.alpha``)."""
        return ConfigError(f"{prefix}.{self.field}", self.value, self.reason)
