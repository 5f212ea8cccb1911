"""Small helpers shared by handlers: reading the sender and replying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardMarkup, Message, Update

from bot.services.registry.invites import InviteLimits
from bot.settings import Settings


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def display_name(update: Update) -> str:
    """The sender's name as Telegram shows it."""
    user = update.effective_user
    return user.full_name if user else ""


def message_of(update: Update) -> Message:
    """The message this update is about (handlers are only registered for messages)."""
    message = update.effective_message
    assert message is not None
    return message


def user_id_of(update: Update) -> int:
    """The sender's Telegram user id."""
    user = update.effective_user
    assert user is not None
    return user.id


def chat_id_of(update: Update) -> int:
    """The chat the update came from."""
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def callback_data(update: Update) -> str:
    """The data of the pressed button (handlers are only registered for button presses)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Write in the chat, first answering the button press if the update is one."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    return await message_of(update).reply_text(text, reply_markup=markup)


def invite_limits(settings: Settings) -> InviteLimits:
    """How many people one unit's code registers, and for how long, from the settings."""
    return InviteLimits(settings.invite_max_uses, timedelta(days=settings.invite_ttl_days))
