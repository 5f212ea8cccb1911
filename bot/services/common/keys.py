"""Marking catalog keys in services, which store them (and never render them)."""

from __future__ import annotations


def N_(key: str) -> str:
    """Mark a message key that is stored now and rendered later in each reader's language."""
    return key
