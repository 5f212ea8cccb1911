"""The one access gate: identify the sender, drop unsupported updates, refuse by role."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.services.registry.contacts import Identity, who_is
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.permissions import callback_allowed, command_allowed
from bot.telegram.throttle import Verdict

logger = logging.getLogger(__name__)


def _is_supported(update: Update) -> bool:
    """Only new private messages and buttons pressed in private chats are for us."""
    if update.callback_query is not None:
        query = update.callback_query
        # A button under a group message (or an inline message) is ignored like a message.
        return (
            query.from_user is not None
            and query.message is not None
            and query.message.chat.type == ChatType.PRIVATE
        )
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
    await _throttle(update, context)
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


async def _throttle(update: Update, context: BotContext) -> None:
    """Drop a flood beyond the user's budget; say so once per episode (bot/telegram/throttle)."""
    message = update.message
    sent_at = message.date.timestamp() if message is not None else None
    verdict = context.deps.throttle.check(context.who.user_id, sent_at)
    if verdict is Verdict.PASS:
        return
    if verdict is Verdict.NOTICE:
        logger.info("Throttling user %s", context.who.user_id)
        if message is not None:
            await message.reply_text(context.t("access.too_fast"))
        elif update.callback_query is not None:
            await update.callback_query.answer(context.t.plain("access.too_fast"))
    raise ApplicationHandlerStop


def register(application: BotApplication) -> None:
    """Install the gate in group -1, before every other handler."""
    application.add_handler(TypeHandler(Update, check_access), group=-1)
