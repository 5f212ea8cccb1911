"""Telegram handlers, one module per feature; `register_all` wires them in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import admin, directives, errors, gate, reports, start

if TYPE_CHECKING:
    from bot.context import BotApplication


def register_all(application: BotApplication) -> None:
    """Register every handler. Order matters: the gate (group -1) runs before everything."""
    gate.register(application)
    reports.register(application)
    directives.register(application)
    admin.register(application)
    start.register(application)
    errors.register(application)
