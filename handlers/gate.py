"""The one access gate: identify the sender, answer groups and strangers, refuse by role."""

from __future__ import annotations

import logging

from telegram import Message, ReplyKeyboardRemove, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.services.registry.contacts import Identity
from bot.telegram.callbacks import action_of, is_ours
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.groups import addresses_bot
from bot.telegram.permissions import (
    STRANGER_ACTIONS,
    STRANGER_COMMANDS,
    callback_allowed,
    command_allowed,
)
from bot.telegram.reply_keyboard import command_of_label
from bot.telegram.throttle import Verdict
from bot.texts import translator

logger = logging.getLogger(__name__)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def _is_supported(update: Update) -> bool:
    """New private messages of any kind and buttons pressed in private chats; edits are not."""
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
    """The sender's identity, from the cache or the database (with the others asked now)."""
    cached = context.deps.identities.get(user_id)
    if cached is not None:
        return cached
    identity = await context.deps.senders.load(user_id)
    context.deps.identities.put(identity)
    return identity


def command_of(update: Update) -> str | None:
    """The /command a message starts with (without @botname), or the one its label stands for."""
    message = update.message
    if message is None or not message.text:
        return None
    if not message.text.startswith("/"):
        return command_of_label(message.text)
    return message.text.split()[0][1:].split("@", 1)[0].lower()


async def _answer_group(message: Message, context: BotContext) -> None:
    """Say once in a while, when addressed, that the bot works in private chats."""
    username = context.deps.bot_username
    if not addresses_bot(message, context.bot.id, username):
        return
    if not context.deps.group_notices.due(message.chat.id):
        return
    # A group is shared: it reads the commune's language, whoever wrote.
    t = translator()
    await message.reply_text(t("group.private_only", link=f"https://t.me/{username}"))


def _stranger_may(update: Update) -> bool:
    """What someone not registered may still do: /start, /huongdan, /ngonngu, the language."""
    query = update.callback_query
    if query is not None:
        return action_of(query.data or "") in STRANGER_ACTIONS
    return command_of(update) in STRANGER_COMMANDS


async def _how_to_register(update: Update, context: BotContext) -> None:
    """The one answer a stranger gets to anything else: how to register."""
    t = context.t
    query = update.callback_query
    if query is not None:
        await query.answer(t.plain("stranger.button"), show_alert=True)
        return
    assert update.message is not None
    await update.message.reply_text(t("stranger.how_to"), reply_markup=ReplyKeyboardRemove())


async def check_access(update: Update, context: BotContext) -> None:
    """Stop the update unless the sender's role allows the command or button."""
    if update.message is not None and update.message.chat.type in GROUPS:
        await _answer_group(update.message, context)
        raise ApplicationHandlerStop
    if not _is_supported(update):
        raise ApplicationHandlerStop
    assert update.effective_user is not None
    context.identity = await identity_of(context, update.effective_user.id)
    await _throttle(update, context)
    role = context.identity.role
    if role is None and not _stranger_may(update):
        logger.info("Told user %s how to register", context.identity.user_id)
        await _how_to_register(update, context)
        raise ApplicationHandlerStop
    command = command_of(update)
    if command is not None and not command_allowed(command, role):
        logger.info("Refused /%s to user %s (role %s)", command, context.identity.user_id, role)
        assert update.message is not None
        await update.message.reply_text(context.t("access.not_allowed"))
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    if action_of(data) is None and is_ours(data):
        return  # A button of ours no handler takes any more: answered as expired, last.
    if not callback_allowed(data, role):
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
