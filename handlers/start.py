"""/start (with or without an invite code), /huongdan, /ngonngu and the generic /huy."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services.registry import invites
from bot.services.registry.contacts import choose_language
from bot.services.registry.invites import RedeemOutcome, RedeemResult
from bot.settings import Settings
from bot.telegram.callbacks import Action, args_of, build, pattern
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.keyboards import buttons
from bot.telegram.menus import set_chat_menu
from bot.texts import N_, Html, Translator, available_languages, translator
from bot.texts.labels import role_label
from handlers.common import (
    callback_data,
    chat_id_of,
    display_name,
    message_of,
    now_utc,
    user_id_of,
)
from models import Role

logger = logging.getLogger(__name__)

REFUSALS = {
    RedeemOutcome.INVALID: N_("invite.invalid"),
    RedeemOutcome.USED_UP: N_("invite.used_up"),
    RedeemOutcome.EXPIRED: N_("invite.expired"),
    RedeemOutcome.REVOKED: N_("invite.revoked"),
    RedeemOutcome.LOCKED_OUT: N_("invite.locked_out"),
}


def _registration_reply(t: Translator, result: RedeemResult) -> Html:
    """The text for a redeemed (or refused) invite."""
    if not result.ok:
        return t(REFUSALS[result.outcome])
    assert result.role is not None
    if result.unit_name and result.role == Role.HEAD:
        moved = (
            t("register.moved", unit=result.previous_unit_name)
            if result.previous_unit_name
            else Html("")
        )
        return t("register.head", unit=result.unit_name, moved=moved)
    return t("register.staff", role=role_label(t, result.role))


def invite_guard(settings: Settings) -> invites.InviteGuard:
    """How many wrong invite codes a user may try, and for how long they are locked out."""
    return invites.InviteGuard(
        settings.invite_failures_allowed, timedelta(minutes=settings.invite_lockout_minutes)
    )


def greeting(t: Translator, role: Role | None, unit_name: str | None, user_id: int) -> Html:
    """Plain /start greeting, by role, always showing the user's Telegram id."""
    if role is None:
        text = t("greeting.stranger")
    elif role == Role.HEAD:
        text = t("greeting.head", unit=unit_name or "—")
    else:
        text = t("greeting.staff", role=role_label(t, role))
    return Html(text + t("greeting.your_id", user_id=str(user_id)))


async def start(update: Update, context: BotContext) -> None:
    """Register with an invite code, or greet the sender by role."""
    who, t = context.who, context.t
    if not context.args:
        await message_of(update).reply_text(greeting(t, who.role, who.unit_name, who.user_id))
        # Roles granted from the CLI reach the menu here, at the user's next /start.
        await set_chat_menu(context.bot, chat_id_of(update), who.role, t)
        return
    result = await invites.register(
        context.deps.db,
        code=context.args[0][:64],
        user_id=user_id_of(update),
        chat_id=chat_id_of(update),
        display_name=display_name(update),
        now=now_utc(),
        guard=invite_guard(context.deps.settings),
    )
    context.deps.identities.forget(user_id_of(update))
    if not result.ok:
        logger.info("Invite refused for user %s: %s", user_id_of(update), result.outcome)
    await message_of(update).reply_text(_registration_reply(t, result))
    if result.ok:
        await set_chat_menu(context.bot, chat_id_of(update), result.role, t)


async def show_help(update: Update, context: BotContext) -> None:
    """Explain how to use the bot, with the course link."""
    settings = context.deps.settings
    await message_of(update).reply_text(
        context.t("help.text", course_url=settings.course_url, commune=settings.commune_name),
        disable_web_page_preview=True,
    )


async def offer_languages(update: Update, context: BotContext) -> None:
    """/ngonngu: one button per catalog, each labelled in its own language."""
    choices = [
        [(translator(language).plain("language.name"), build(Action.LANGUAGE, language))]
        for language in available_languages()
    ]
    await message_of(update).reply_text(
        context.t("language.choose"), reply_markup=buttons(*choices)
    )


async def set_language(update: Update, context: BotContext) -> None:
    """Store the chosen language, then answer and refresh the menu in it."""
    [language] = args_of(callback_data(update), Action.LANGUAGE)
    if language not in available_languages():
        language = translator().language
    user_id = user_id_of(update)
    await choose_language(context.deps.db, user_id, language, now_utc())
    context.deps.identities.forget(user_id)
    t = translator(language)
    query = update.callback_query
    assert query is not None
    await query.answer()
    await message_of(update).reply_text(t("language.chosen"))
    await set_chat_menu(context.bot, chat_id_of(update), context.who.role, t)


async def cancel_nothing(update: Update, context: BotContext) -> None:
    """Answer /huy when no conversation is in progress."""
    await message_of(update).reply_text(context.t("cancel.nothing"))


async def not_understood(update: Update, context: BotContext) -> None:
    """Point lost users to the right command instead of staying silent."""
    await message_of(update).reply_text(context.t("fallback.not_understood"))


def register(application: BotApplication) -> None:
    """Install the handlers; these go last so conversations catch /huy and replies first."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("huongdan", show_help))
    application.add_handler(CommandHandler("ngonngu", offer_languages))
    application.add_handler(
        CallbackQueryHandler(set_language, pattern=pattern(Action.LANGUAGE, "[a-z_-]{2,16}"))
    )
    application.add_handler(CommandHandler("huy", cancel_nothing))
    application.add_handler(MessageHandler(filters.TEXT | filters.COMMAND, not_understood))
