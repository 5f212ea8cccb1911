"""/start (with or without an invite code), /huongdan and the generic /huy."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot import texts
from bot.context import BotApplication, BotContext
from bot.formatting import escape
from bot.menus import set_chat_menu
from bot.services.invites import RedeemOutcome, RedeemResult, redeem_invite
from handlers.common import chat_id_of, display_name, message_of, now_utc, user_id_of

logger = logging.getLogger(__name__)

REFUSALS = {
    RedeemOutcome.INVALID: texts.INVITE_INVALID,
    RedeemOutcome.USED_UP: texts.INVITE_USED_UP,
    RedeemOutcome.EXPIRED: texts.INVITE_EXPIRED,
    RedeemOutcome.REVOKED: texts.INVITE_REVOKED,
}


def _registration_reply(result: RedeemResult) -> str:
    """The text for a redeemed (or refused) invite."""
    if not result.ok:
        return REFUSALS[result.outcome]
    if result.unit_name and result.role is not None and result.role.value == "head":
        previous = escape(result.previous_unit_name) if result.previous_unit_name else None
        return texts.registered_head(escape(result.unit_name), previous)
    assert result.role is not None
    return texts.registered_officer(texts.ROLE_LABELS[result.role.value])


async def start(update: Update, context: BotContext) -> None:
    """Register with an invite code, or greet the sender by role."""
    if not context.args:
        who = context.who
        unit = escape(who.unit_name) if who.unit_name else None
        role = who.role.value if who.role else None
        await message_of(update).reply_text(texts.greeting(role, unit, who.user_id))
        # Roles granted from the CLI reach the menu here, at the user's next /start.
        await set_chat_menu(context.bot, chat_id_of(update), who.role)
        return
    async with context.deps.session_factory.begin() as session:
        result = await redeem_invite(
            session,
            code=context.args[0][:64],
            user_id=user_id_of(update),
            chat_id=chat_id_of(update),
            display_name=display_name(update),
            now=now_utc(),
        )
    context.deps.identities.forget(user_id_of(update))
    if not result.ok:
        logger.info("Invite refused for user %s: %s", user_id_of(update), result.outcome)
    await message_of(update).reply_text(_registration_reply(result))
    if result.ok:
        await set_chat_menu(context.bot, chat_id_of(update), result.role)


async def show_help(update: Update, context: BotContext) -> None:
    """Explain how to use the bot, with the course link."""
    settings = context.deps.settings
    await message_of(update).reply_text(
        texts.help_text(settings.course_url, escape(settings.commune_name)),
        disable_web_page_preview=True,
    )


async def cancel_nothing(update: Update, context: BotContext) -> None:
    """Answer /huy when no conversation is in progress."""
    await message_of(update).reply_text(texts.NOTHING_TO_CANCEL)


async def not_understood(update: Update, context: BotContext) -> None:
    """Point lost users to the right command instead of staying silent."""
    await message_of(update).reply_text(texts.NOT_UNDERSTOOD)


def register(application: BotApplication) -> None:
    """Install the handlers; these go last so conversations catch /huy and replies first."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("huongdan", show_help))
    application.add_handler(CommandHandler("huy", cancel_nothing))
    application.add_handler(MessageHandler(filters.TEXT | filters.COMMAND, not_understood))
