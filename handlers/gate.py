"""The one access gate: decide first (no I/O but reading who the sender is), then stop.

The gate's answer is a value, a `Refusal` or `None`, and exactly one place acts on it:
`check_access` stops every refused update with `ApplicationHandlerStop` whatever happens to
the notice the sender is owed. Telling the sender is best effort: a notice that cannot be
sent (Telegram down, a time-out, a bug in building it) is logged and never lets the refused
update through to the next handler group. A gate that cannot decide (the database is down)
stops the update too.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from telegram import ReplyKeyboardRemove, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.services.registry.contacts import Identity
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.intake.groups import addresses_bot
from bot.telegram.intake.throttle import Verdict
from bot.telegram.ui.callbacks import action_of, is_ours
from bot.telegram.ui.permissions import (
    STRANGER_ACTIONS,
    STRANGER_COMMANDS,
    callback_allowed,
    command_allowed,
)
from bot.telegram.ui.reply_keyboard import command_of_label
from bot.texts import N_, translator
from models import scope

logger = logging.getLogger(__name__)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


class Notice(enum.Enum):
    """What a refused sender is told (best effort)."""

    NONE = "none"
    SPINNER = "spinner"  # a dropped button press: its spinner is stopped, nothing said
    GROUP = "group"  # the bot works in private chats (once in a while, when addressed)
    HOW_TO_REGISTER = "how_to_register"
    NOT_ALLOWED = "not_allowed"
    TOO_FAST = "too_fast"
    NO_SCOPE = "no_scope"  # an officer a province has not placed in a commune
    FAILED = "failed"  # the gate itself could not decide


QUIET_NOTICES = frozenset({Notice.NONE, Notice.SPINNER, Notice.GROUP})
# What each notice says, under a pressed button (an alert) and in the chat.
BUTTON_NOTICES = {
    Notice.HOW_TO_REGISTER: N_("stranger.button"),
    Notice.NOT_ALLOWED: N_("access.not_allowed"),
    Notice.TOO_FAST: N_("access.too_fast"),
    Notice.NO_SCOPE: N_("access.no_scope"),
    Notice.FAILED: N_("error.internal"),
}
MESSAGE_NOTICES = {
    Notice.HOW_TO_REGISTER: N_("stranger.how_to"),
    Notice.NOT_ALLOWED: N_("access.not_allowed"),
    Notice.TOO_FAST: N_("access.too_fast"),
    Notice.NO_SCOPE: N_("access.no_scope"),
    Notice.FAILED: N_("error.internal"),
}


@dataclass(frozen=True)
class Refusal:
    """The gate's decision to stop an update, and why (for the log)."""

    reason: str
    notice: Notice = Notice.NONE


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


def _stranger_may(update: Update) -> bool:
    """What someone not registered may still do: /start, /huongdan, /ngonngu, the language."""
    query = update.callback_query
    if query is not None:
        return action_of(query.data or "") in STRANGER_ACTIONS
    return command_of(update) in STRANGER_COMMANDS


def _throttled(update: Update, context: BotContext) -> Refusal | None:
    """A flood beyond the user's budget is dropped, with one notice per episode."""
    message = update.message
    sent_at = message.date.timestamp() if message is not None else None
    assert update.effective_user is not None
    verdict = context.deps.throttle.check(update.effective_user.id, sent_at)
    if verdict is Verdict.PASS:
        return None
    if verdict is Verdict.NOTICE:
        notice = Notice.TOO_FAST
    else:
        # Every press is answered, even a dropped one: a phone left spinning gets pressed again.
        notice = Notice.SPINNER if update.callback_query is not None else Notice.NONE
    return Refusal(f"throttled ({verdict.value})", notice)


def _by_role(update: Update, identity: Identity) -> Refusal | None:
    """Refuse what the sender's role does not allow (the permissions table decides)."""
    role = identity.role
    if role is None and not _stranger_may(update):
        return Refusal("not registered", Notice.HOW_TO_REGISTER)
    if identity.commune_id == scope.NOWHERE and not _stranger_may(update):
        # Fail closed: in a province, an officer granted no commune sees none.
        return Refusal("officer with no scope in a province", Notice.NO_SCOPE)
    command = command_of(update)
    if command is not None and not command_allowed(command, role):
        return Refusal(f"/{command} not allowed to role {role}", Notice.NOT_ALLOWED)
    query = update.callback_query
    if query is None:
        return None
    data = query.data or ""
    if action_of(data) is None and is_ours(data):
        return None  # A button of ours no handler takes any more: answered as expired, last.
    if not callback_allowed(data, role):
        return Refusal(f"button {data!r} not allowed to role {role}", Notice.NOT_ALLOWED)
    return None


async def decide(update: Update, context: BotContext) -> Refusal | None:
    """The gate's decision; its only I/O is reading the sender's identity."""
    if update.message is not None and update.message.chat.type in GROUPS:
        return Refusal("group chat", Notice.GROUP)
    if not _is_supported(update):
        return Refusal("unsupported update")
    # The budget first: a flood costs no database read, even while the database is down (the
    # notice speaks the sender's language when the cache already knows them).
    assert update.effective_user is not None
    context.identity = context.deps.identities.get(update.effective_user.id)
    throttled = _throttled(update, context)
    if throttled is not None:
        return throttled
    context.identity = await identity_of(context, update.effective_user.id)
    return _by_role(update, context.identity)


async def _tell(notice: Notice, update: Update, context: BotContext) -> None:
    """Send the notice a refused sender is owed (may raise: the caller only logs it)."""
    t = context.t
    query = update.callback_query
    message = update.message
    if notice is Notice.GROUP:
        assert message is not None
        username = context.deps.bot_username
        if addresses_bot(message, context.bot.id, username) and context.deps.group_notices.due(
            message.chat.id
        ):
            # A group is shared: it reads the commune's language, whoever wrote.
            t = translator()
            await message.reply_text(t("group.private_only", link=f"https://t.me/{username}"))
    elif query is not None and notice is Notice.SPINNER:
        await query.answer()
    elif query is not None:
        alert = notice is not Notice.TOO_FAST
        await query.answer(t.plain(BUTTON_NOTICES[notice]), show_alert=alert)
    elif message is not None:
        markup = ReplyKeyboardRemove() if notice is Notice.HOW_TO_REGISTER else None
        await message.reply_text(t(MESSAGE_NOTICES[notice]), reply_markup=markup)


async def _tell_best_effort(refusal: Refusal, update: Update, context: BotContext) -> None:
    """Tell the sender why, if there is anything to tell; a failure is only logged."""
    if refusal.notice is Notice.NONE:
        return
    try:
        await _tell(refusal.notice, update, context)
    except Exception:
        logger.warning(
            "Could not tell update %s's sender it was refused", update.update_id, exc_info=True
        )


async def check_access(update: Update, context: BotContext) -> None:
    """Stop the update unless the sender's role allows it; the stop never depends on a send.

    An allowed update is then narrowed to the sender's commune (models/scope.py): in a province
    deployment, whatever its handlers read or change is that commune's only.
    """
    # Whole first: who the sender is is read across communes, and nothing of an earlier
    # update handled in this task is carried over.
    scope.enter(None)
    try:
        refusal = await decide(update, context)
    except Exception:
        logger.exception("The access gate could not decide on update %s", update.update_id)
        refusal = Refusal("the gate failed", Notice.FAILED)
    if refusal is None:
        assert context.identity is not None
        scope.enter(context.identity.commune_id)
        return
    user = update.effective_user.id if update.effective_user else None
    # Silent drops (floods, groups, edits) at DEBUG: a flood must not flood the log too.
    level = logging.DEBUG if refusal.notice in QUIET_NOTICES else logging.INFO
    logger.log(level, "Stopped update %s from user %s: %s", update.update_id, user, refusal.reason)
    await _tell_best_effort(refusal, update, context)
    raise ApplicationHandlerStop


def register(application: BotApplication) -> None:
    """Install the gate in group -1, before every other handler."""
    application.add_handler(TypeHandler(Update, check_access), group=-1)
