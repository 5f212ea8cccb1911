"""Inline keyboards shared by handlers and the dispatcher, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callbacks import Action, build
from bot.texts import Translator


def buttons(*rows: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def report_button(t: Translator) -> InlineKeyboardMarkup:
    """The "📝 Báo cáo" button that reminders and chases carry."""
    return buttons([(t("button.report"), build(Action.REPORT_START))])


def ack_keyboard(
    t: Translator, directive_id: int, label: str | None = None
) -> InlineKeyboardMarkup:
    """The "✅ Đã nhận" button under a directive (id 0 is the composer's preview)."""
    return buttons([(label or t("button.ack"), build(Action.ACK, directive_id))])
