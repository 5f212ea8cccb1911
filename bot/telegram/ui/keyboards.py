"""Inline keyboards shared by handlers and the dispatcher, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.ui.callbacks import Action, build
from bot.texts import N_, Translator


def buttons(*rows: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def report_button(t: Translator) -> InlineKeyboardMarkup:
    """The "📝 Báo cáo" button that reminders and chases carry."""
    return buttons([(t("button.report"), build(Action.REPORT_START))])


def ack_keyboard(
    t: Translator, directive_id: int, label: str | None = None, *, asks_report: bool = False
) -> InlineKeyboardMarkup:
    """The "✅ Đã nhận" button under a directive (id 0 is the composer's preview).

    A directive with a deadline asks for a report, so "📝 Báo cáo" sits beside it.
    """
    row = [(label or t("button.ack"), build(Action.ACK, directive_id))]
    if asks_report:
        row.append((t("button.report"), build(Action.REPORT_START)))
    return buttons(row)


def head_menu(t: Translator) -> InlineKeyboardMarkup:
    """What a head can do, as buttons: report, see progress, read the help, share a model."""
    return buttons(
        [
            (t("button.report"), build(Action.REPORT_START)),
            (t("button.progress"), build(Action.PROGRESS)),
        ],
        [
            (t("button.help"), build(Action.HELP)),
            (t("share.button.start"), build(Action.MODEL_START)),
        ],
    )


def asks_report(markup: InlineKeyboardMarkup | None) -> bool:
    """Whether a message's buttons include "📝 Báo cáo"."""
    if markup is None:
        return False
    return any(
        button.callback_data == Action.REPORT_START.value
        for row in markup.inline_keyboard
        for button in row
    )


def with_extra_buttons(
    markup: InlineKeyboardMarkup | None,
    rows: Sequence[Sequence[tuple[str, str]]],
    t: Translator,
) -> InlineKeyboardMarkup | None:
    """A message's own buttons followed by stored rows of (catalog key, callback data)."""
    if not rows:
        return markup
    extra = [
        [InlineKeyboardButton(t.plain(key), callback_data=data) for key, data in row]
        for row in rows
    ]
    existing = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    return InlineKeyboardMarkup([*existing, *extra])


def staff_thread_buttons(thread_id: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The stored row under a unit's message to officers: "↩️ Trả lời" and "✅ Đã xử lý"."""
    return (
        (
            (N_("button.thread_reply"), build(Action.THREAD_ANSWER, thread_id)),
            (N_("button.thread_resolve"), build(Action.THREAD_RESOLVE, thread_id)),
        ),
    )


def staff_flag_buttons(thread_id: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Under a head's 🚩 report: the thread's row, and "📣 Thông tin chính thức" to answer it."""
    return (
        *staff_thread_buttons(thread_id),
        ((N_("button.official"), build(Action.COMPOSE_OFFICIAL)),),
    )


def unit_thread_buttons(thread_id: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The stored row under an officer's answer to a unit: "↩️ Trả lời"."""
    return (((N_("button.thread_reply"), build(Action.THREAD_WRITE, thread_id)),),)
