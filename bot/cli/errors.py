"""Exceptions shared across layers."""

from __future__ import annotations


class CliError(Exception):
    """A user-facing CLI failure: a catalog key and its values, printed as one line (exit 2)."""

    def __init__(self, key: str, **values: object) -> None:
        """Keep the message key and the values it names."""
        super().__init__(key)
        self.key = key
        self.values = values
