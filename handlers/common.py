"""Small helpers shared by handlers: reading the sender and replying."""

from __future__ import annotations

import contextlib
import functools
import operator
from datetime import UTC, datetime, timedelta

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import filters

from bot.services.registry.contacts import Identity
from bot.services.registry.invites import InviteLimits
from bot.services.reports.evidence import IncomingFile
from bot.services.reports.reports import ReportRefused, Target, own_target
from bot.settings import Settings
from bot.texts import N_
from models import EvidenceKind

# What people send that the bot cannot read, each with the catalog key that names it kindly.
MEDIA_KINDS = (
    (filters.VOICE | filters.AUDIO, N_("chat.voice")),
    (filters.Sticker.ALL | filters.ANIMATION, N_("chat.sticker")),
    (filters.VIDEO | filters.VIDEO_NOTE, N_("chat.video")),
    (filters.LOCATION | filters.VENUE, N_("chat.location")),
    (filters.CONTACT, N_("chat.contact")),
)
MEDIA: filters.BaseFilter = functools.reduce(operator.or_, (kind for kind, _ in MEDIA_KINDS))


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


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
) -> Message:
    """Write in the chat, first answering the button press if the update is one."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    return await message_of(update).reply_text(text, reply_markup=markup)


def own_unit(who: Identity) -> Target | None:
    """The sender's own unit, when they have one (staff without a unit have none)."""
    try:
        return own_target(who)
    except ReportRefused:
        return None


def invite_limits(settings: Settings) -> InviteLimits:
    """How many people one unit's code registers, and for how long, from the settings."""
    return InviteLimits(settings.invite_max_uses, timedelta(days=settings.invite_ttl_days))


async def remove_buttons(query: CallbackQuery) -> None:
    """Take the buttons off the message a button was pressed under (already gone: fine)."""
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


async def remove_buttons_of(update: Update, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an earlier message of the bot (gone or already bare: fine)."""
    if message_id is None:
        return
    with contextlib.suppress(BadRequest):
        await update.get_bot().edit_message_reply_markup(chat_id, message_id, reply_markup=None)


def media_key(update: Update) -> str:
    """The catalog key naming a message of MEDIA (a voice note, a sticker, …)."""
    return next(key for kind, key in MEDIA_KINDS if kind.check_update(update))


def incoming_file(message: Message) -> IncomingFile:
    """What Telegram says about a message's photo (its largest size) or document."""
    if message.photo:
        largest = message.photo[-1]
        return IncomingFile(
            EvidenceKind.PHOTO,
            largest.file_id,
            largest.file_unique_id,
            file_size=largest.file_size,
            caption=message.caption,
        )
    document = message.document
    assert document is not None
    return IncomingFile(
        EvidenceKind.DOCUMENT,
        document.file_id,
        document.file_unique_id,
        file_name=document.file_name,
        mime_type=document.mime_type,
        file_size=document.file_size,
        caption=message.caption,
    )
