"""/start (with or without an invite code), /huongdan, /ngonngu and the generic /huy."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.services.registry import invites
from bot.services.registry.contacts import choose_language
from bot.services.registry.invites import RedeemOutcome, RedeemResult
from bot.settings import Settings
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.ui.callbacks import Action, args_of, build, pattern
from bot.telegram.ui.keyboards import buttons, report_button
from bot.telegram.ui.menus import set_chat_menu
from bot.telegram.ui.reply_keyboard import keyboard_for, label_filter
from bot.texts import N_, Html, Translator, available_languages, translator
from bot.texts.labels import commune_title, role_label
from handlers.common import (
    callback_data,
    chat_id_of,
    display_name,
    message_of,
    now_utc,
    remove_buttons,
    reply,
    user_id_of,
)
from handlers.province import scope_name
from models import Role

logger = logging.getLogger(__name__)

REFUSALS = {
    RedeemOutcome.INVALID: N_("invite.invalid"),
    RedeemOutcome.USED_UP: N_("invite.used_up"),
    RedeemOutcome.EXPIRED: N_("invite.expired"),
    RedeemOutcome.REVOKED: N_("invite.revoked"),
    RedeemOutcome.LOCKED_OUT: N_("invite.locked_out"),
}
HELP = {
    None: N_("help.stranger"),
    Role.HEAD: N_("help.head"),
    Role.OFFICER: N_("help.officer"),
    Role.ADMIN: N_("help.admin"),
}
CODE = r"[A-Za-z0-9_-]{1,48}"


def greeting(t: Translator, role: Role | None, unit_name: str | None, user_id: int) -> Html:
    """Plain /start greeting, by role; staff and strangers see their Telegram id (for grants)."""
    if role == Role.HEAD:
        return t("greeting.head", unit=unit_name or "—")
    text = t("greeting.stranger") if role is None else t("greeting.staff", role=role_label(t, role))
    return Html(text + t("greeting.your_id", user_id=str(user_id)))


def _choice(t: Translator, result: RedeemResult, code: str) -> tuple[Html, InlineKeyboardMarkup]:
    """Ask before moving a head, or before attaching an officer or admin to a unit."""
    unit = result.unit_name or "—"
    if result.outcome == RedeemOutcome.CONFIRM_MOVE:
        current = result.previous_unit_name or "—"
        text = t("register.confirm_move", current=current, unit=unit)
        labels = (
            t.plain("register.button.move", unit=unit),
            t.plain("register.button.stay", unit=current),
        )
    else:
        assert result.role is not None
        text = t("register.staff_choice", role=role_label(t, result.role), unit=unit)
        labels = (t.plain("register.button.attach", unit=unit), t.plain("register.button.no"))
    markup = buttons(
        [(labels[0], build(Action.REGISTER_JOIN, code))],
        [(labels[1], build(Action.REGISTER_KEEP, code))],
    )
    return text, markup


async def _answer_registration(
    update: Update, context: BotContext, result: RedeemResult, code: str
) -> None:
    """Say what the invite did: refused, a question, or registered (with the keyboard)."""
    t = context.t
    message = message_of(update)
    if result.needs_choice:
        text, markup = _choice(t, result, code)
        await message.reply_text(text, reply_markup=markup)
        return
    if not result.ok:
        logger.info("Invite refused for user %s: %s", user_id_of(update), result.outcome)
        await message.reply_text(t(REFUSALS[result.outcome]))
        return
    assert result.role is not None
    keyboard = keyboard_for(result.role, t)
    role = role_label(t, result.role)
    if result.outcome == RedeemOutcome.ALREADY:
        key = N_("register.already_head") if result.role == Role.HEAD else N_("register.already")
        await message.reply_text(
            t(key, unit=result.unit_name or "—", role=role), reply_markup=keyboard
        )
    elif result.role == Role.HEAD:
        moved = (
            t("register.moved", unit=result.previous_unit_name)
            if result.previous_unit_name
            else Html("")
        )
        text = t("register.head", unit=result.unit_name or "—", moved=moved)
        await message.reply_text(text, reply_markup=report_button(t))
        await message.reply_text(t("keyboard.shown"), reply_markup=keyboard)
    elif result.unit_name:
        await message.reply_text(
            t("register.staff_unit", unit=result.unit_name, role=role), reply_markup=keyboard
        )
    else:
        await message.reply_text(t("register.staff", role=role), reply_markup=keyboard)
    await set_chat_menu(context.bot, chat_id_of(update), result.role, t)


def invite_guard(settings: Settings) -> invites.InviteGuard:
    """How many wrong invite codes a user may try, and for how long they are locked out."""
    return invites.InviteGuard(
        settings.invite_failures_allowed, timedelta(minutes=settings.invite_lockout_minutes)
    )


async def _redeem(update: Update, context: BotContext, code: str, *, confirmed: bool) -> None:
    """Redeem an invite (confirmed: the person chose to move or attach) and answer."""
    result = await invites.register(
        context.deps.db,
        code=code,
        user_id=user_id_of(update),
        chat_id=chat_id_of(update),
        display_name=display_name(update),
        now=now_utc(),
        confirmed=confirmed,
        guard=invite_guard(context.deps.settings),
    )
    context.deps.identities.forget(user_id_of(update))
    await _answer_registration(update, context, result, code)


async def start(update: Update, context: BotContext) -> None:
    """Register with an invite code, or greet the sender by role."""
    who, t = context.who, context.t
    if not context.args:
        await message_of(update).reply_text(
            greeting(t, who.role, who.unit_name, who.user_id),
            reply_markup=keyboard_for(who.role, t),
        )
        # Roles granted from the CLI reach the menu here, at the user's next /start.
        await set_chat_menu(context.bot, chat_id_of(update), who.role, t)
        return
    await _redeem(update, context, context.args[0][:64], confirmed=False)


async def join_unit(update: Update, context: BotContext) -> None:
    """Handle "Chuyển sang B" / "Gắn với B": the person chose; now the invite applies."""
    query = update.callback_query
    assert query is not None
    [code] = args_of(callback_data(update), Action.REGISTER_JOIN)
    await query.answer()
    await remove_buttons(query)
    await _redeem(update, context, code, confirmed=True)


async def keep_unit(update: Update, context: BotContext) -> None:
    """Handle "Giữ A" / "Không gắn": nothing changes (the choice is audited)."""
    query = update.callback_query
    assert query is not None
    [code] = args_of(callback_data(update), Action.REGISTER_KEEP)
    await query.answer()
    await remove_buttons(query)
    kept = await invites.keep_unit(context.deps.db, user_id_of(update), code)
    t, who = context.t, context.who
    if who.role == Role.HEAD and kept:
        text = t("register.kept", unit=kept)
    else:
        assert who.role is not None
        text = t("register.kept_staff", role=role_label(t, who.role))
    await message_of(update).reply_text(text, reply_markup=keyboard_for(who.role, t))


async def show_help(update: Update, context: BotContext) -> None:
    """Explain what the sender's role can do, with the course link."""
    settings = context.deps.settings
    commune = commune_title(context.t, await scope_name(context))
    text = context.t(HELP[context.who.role], course_url=settings.course_url, commune=commune)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await message_of(update).reply_text(text, disable_web_page_preview=True)


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
    """Store the chosen language, then answer and refresh the menu and keyboard in it."""
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
    role = context.who.role
    await message_of(update).reply_text(t("language.chosen"), reply_markup=keyboard_for(role, t))
    await set_chat_menu(context.bot, chat_id_of(update), role, t)


async def cancel_nothing(update: Update, context: BotContext) -> None:
    """Answer /huy when no conversation is in progress."""
    await reply(update, context.t("cancel.nothing"))


def register(application: BotApplication) -> None:
    """Install the handlers; these go after the conversations so those catch /huy first."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("huongdan", show_help))
    application.add_handler(MessageHandler(label_filter("huongdan"), show_help))
    application.add_handler(CallbackQueryHandler(show_help, pattern=pattern(Action.HELP)))
    application.add_handler(
        CallbackQueryHandler(join_unit, pattern=pattern(Action.REGISTER_JOIN, CODE))
    )
    application.add_handler(
        CallbackQueryHandler(keep_unit, pattern=pattern(Action.REGISTER_KEEP, CODE))
    )
    application.add_handler(CommandHandler("ngonngu", offer_languages))
    application.add_handler(
        CallbackQueryHandler(set_language, pattern=pattern(Action.LANGUAGE, "[a-z_-]{2,16}"))
    )
    application.add_handler(CommandHandler("huy", cancel_nothing))
