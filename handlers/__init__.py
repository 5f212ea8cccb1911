"""Telegram handlers, one module per feature; `register_all` wires them in order."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from telegram.warnings import PTBUserWarning

from handlers import (
    admin,
    asking,
    chat,
    commendation_reasons,
    commendations,
    directives,
    errors,
    gate,
    good_models,
    reports,
    schedules,
    start,
    stats,
    threads,
    unit_files,
    units,
)

if TYPE_CHECKING:
    from bot.telegram.context import BotApplication


def register_all(application: BotApplication) -> None:
    """Register every handler. Order matters: the gate (group -1) runs before everything."""
    # Our conversations mix typed answers and buttons per user on purpose; PTB warns about
    # button tracking per message, which we do not want.
    warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
    gate.register(application)
    # Before every conversation: an answer after "↩️ Trả lời" is never taken for another
    # conversation's typed answer.
    threads.register(application)
    reports.register(application)
    directives.register(application)
    good_models.register(application)
    commendation_reasons.register(application)
    commendations.register(application)
    stats.register(application)
    schedules.register(application)
    admin.register(application)
    units.register(application)
    unit_files.register(application)
    start.register(application)
    # A head's forwards and the buttons that send words to the officers.
    asking.register(application)
    # Last: plain messages, photos, voice notes, unknown commands, and stale buttons.
    chat.register(application)
    errors.register(application)
