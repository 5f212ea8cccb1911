"""Inline keyboards shared by handlers and the dispatcher."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts

REPORT_START = "report:start"
ACK_PREFIX = "ack:"


def report_button() -> InlineKeyboardMarkup:
    """The "📝 Báo cáo" button that reminders and chases carry."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.REPORT_BUTTON, callback_data=REPORT_START)]]
    )


def ack_keyboard(directive_id: int, label: str = texts.ACK_BUTTON) -> InlineKeyboardMarkup:
    """The "✅ Đã nhận" button under a directive."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"{ACK_PREFIX}{directive_id}")]]
    )
