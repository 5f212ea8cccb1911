"""The one access gate: identify the sender, drop unsupported updates, refuse by role."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.services.registry.contacts import Identity, who_is
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.permissions import callback_allowed, command_allowed

logger = logging.getLogger(__name__)


def _is_supported(update: Update) -> bool:
    """Only new private messages and button presses are for us; edits and groups are not."""
    if update.callback_query is not None:
        return update.callback_query.from_user is not None
    message = update.message
    return (
        message is not None
        and message.from_user is not None
        and message.chat.type == ChatType.PRIVATE
    )


async def identity_of(context: BotContext, user_id: int) -> Identity:
    """The sender's identity, from the cache or the database."""
    cached = context.deps.identities.get(user_id)
    if cached is not None:
        return cached
    identity = await who_is(context.deps.db, user_id)
    context.deps.identities.put(identity)
    return identity


def command_of(update: Update) -> str | None:
    """Return the /command a message starts with (without the @botname), if any."""
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split()[0][1:].split("@", 1)[0].lower()


async def check_access(update: Update, context: BotContext) -> None:
    """Stop the update unless the sender's role allows the command or button."""
    if not _is_supported(update):
        raise ApplicationHandlerStop
    assert update.effective_user is not None
    context.identity = await identity_of(context, update.effective_user.id)
    role = context.identity.role
    command = command_of(update)
    if command is not None and not command_allowed(command, role):
        logger.info("Refused /%s to user %s (role %s)", command, context.identity.user_id, role)
        assert update.message is not None
        await update.message.reply_text(context.t("access.not_allowed"))
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and not callback_allowed(query.data or "", role):
        logger.info("Refused button %r to user %s", query.data, context.identity.user_id)
        await query.answer(context.t.plain("access.not_allowed"), show_alert=True)
        raise ApplicationHandlerStop


def register(application: BotApplication) -> None:
    """Install the gate in group -1, before every other handler."""
    application.add_handler(TypeHandler(Update, check_access), group=-1)
