"""Exceptions shared across layers."""


class CliError(Exception):
    """A user-facing CLI failure: printed as one line, exit status 2."""
