"""Admin commands: /moi (invites and QR codes), /phanquyen (roles), /nguoidung (people)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.services.registry.contacts import PROVINCE, GrantOutcome, grant, user_id_from_text
from bot.services.registry.invites import (
    InviteLimits,
    deep_link,
    officer_invite,
    unit_invite,
    unit_invites,
)
from bot.services.registry.people import people_with_roles
from bot.services.registry.revoke import RevokeOutcome, RevokeResult, revoke
from bot.services.registry.role_words import (
    is_commune_code,
    is_revoke_word,
    role_from_text,
    split_scope,
)
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.ui.menus import set_chat_menu
from bot.telegram.ui.reply_keyboard import keyboard_for
from bot.texts import N_, Html, Translator, translator
from bot.texts.formatting import split_for_telegram
from bot.texts.labels import role_label
from bot.texts.people import GRANT_REFUSALS, people_paragraphs
from handlers.common import message_of, now_utc
from handlers.province import scope_name
from models import Role

logger = logging.getLogger(__name__)

REVOKE_REFUSALS: dict[RevokeOutcome, str] = {
    RevokeOutcome.UNKNOWN: N_("revoke.unknown"),
    RevokeOutcome.SETTINGS_ADMIN: N_("revoke.settings_admin"),
    RevokeOutcome.SELF: N_("revoke.self"),
}
OFFICER_INVITE_WORD = "canbo"
REGENERATE_WORD = "lammoi"
OFFICER_INVITE_HOURS = 24


async def list_people(update: Update, context: BotContext) -> None:
    """/nguoidung: everyone with a role, by role and unit, with when each last wrote."""
    t = context.t
    people = await people_with_roles(context.deps.db)
    for chunk in split_for_telegram(people_paragraphs(t, people, context.deps.settings.tz)):
        await message_of(update).reply_text(chunk)


def _limits(context: BotContext) -> InviteLimits:
    """The invite limits from the settings."""
    settings = context.deps.settings
    return InviteLimits(settings.invite_max_uses, timedelta(days=settings.invite_ttl_days))


async def send_invites(update: Update, context: BotContext) -> None:
    """Every unit's link; or one unit's link and QR; or a fresh officer invite."""
    args = [arg.lower() for arg in context.args or []]
    if args[:1] == [OFFICER_INVITE_WORD]:
        await _send_officer_invite(update, context)
    elif args:
        await send_unit_invite(update, context, args[0], regenerate=REGENERATE_WORD in args[1:])
    else:
        await _send_invite_list(update, context)


async def _send_invite_list(update: Update, context: BotContext) -> None:
    """Send every active unit's current link, then the printable sheet."""
    from bot.documents.invite_sheet import invite_sheet_pdf

    t = context.t
    invites = await unit_invites(context.deps.db, now_utc(), _limits(context))
    username = context.deps.bot_username
    lines = [t("invites.line", unit=i.unit_name, link=deep_link(username, i.code)) for i in invites]
    for chunk in split_for_telegram([t("invites.header"), *lines]):
        await message_of(update).reply_text(chunk, disable_web_page_preview=True)
    if invites:
        cards = [(i.unit_name, deep_link(username, i.code)) for i in invites]
        await message_of(update).reply_document(
            invite_sheet_pdf(cards, await scope_name(context), t),
            filename="moi-tham-gia.pdf",
            caption=t("invites.sheet_caption"),
        )


async def send_unit_invite(
    update: Update, context: BotContext, unit_code: str, *, regenerate: bool
) -> None:
    """Send one unit's link and QR code, first replacing its codes when asked."""
    from bot.documents.qr import qr_png

    t = context.t
    invite = await unit_invite(
        context.deps.db,
        unit_code,
        now_utc(),
        _limits(context),
        regenerate=regenerate,
        actor_user_id=context.who.user_id,
    )
    if invite is None:
        await message_of(update).reply_text(t("units.unknown"))
        return
    if regenerate:
        await message_of(update).reply_text(t("invites.regenerated", unit=invite.unit_name))
    link = deep_link(context.deps.bot_username, invite.code)
    await message_of(update).reply_photo(
        qr_png(link), caption=t("invites.caption", unit=invite.unit_name, link=link)
    )


async def _send_officer_invite(update: Update, context: BotContext) -> None:
    """Create a one-use, short-lived officer invite and send its link and QR code."""
    from bot.documents.qr import qr_png

    _, scope = split_scope(" ".join(["canbo", *(context.args or [])[1:]]))
    if scope is not None and not is_commune_code(scope):
        await message_of(update).reply_text(context.t("grant.bad_commune_code"))
        return
    code = await officer_invite(
        context.deps.db,
        now_utc(),
        timedelta(hours=OFFICER_INVITE_HOURS),
        context.who.user_id,
        scope,
    )
    if isinstance(code, GrantOutcome):
        await message_of(update).reply_text(context.t(GRANT_REFUSALS[code]))
        return
    link = deep_link(context.deps.bot_username, code)
    await message_of(update).reply_photo(
        qr_png(link),
        caption=context.t("invites.officer_caption", link=link, hours=OFFICER_INVITE_HOURS),
    )


@dataclass(frozen=True)
class GrantAsked:
    """What "/phanquyen USER_ID ROLE [SCOPE]" asks: a role (None: take them away), a scope."""

    user_id: int
    role: Role | None
    scope: str | None = None


def _parse_grant(args: list[str]) -> GrantAsked | str:
    """Read "USER_ID ROLE [CODE|tỉnh]" ("bỏ": take every role away), or the key of the error."""
    if len(args) < 2:
        return N_("grant.usage")
    user_id, words = user_id_from_text(args[0]), " ".join(args[1:])
    if user_id is None:
        return N_("grant.bad_user")
    if is_revoke_word(words):
        return GrantAsked(user_id, None)
    words, scope = split_scope(words)
    role = role_from_text(words)
    if role is None:
        return N_("grant.bad_role")
    if scope is not None and not is_commune_code(scope):
        return N_("grant.bad_commune_code")
    if scope is not None and role != Role.OFFICER:
        return N_("grant.scope_for_officers")
    return GrantAsked(user_id, role, scope)


def _granted_text(t: Translator, asked: GrantAsked) -> Html:
    """The grant confirmed, naming the scope when one was given."""
    assert asked.role is not None
    role, user_id = role_label(t, asked.role), str(asked.user_id)
    if asked.scope is None:
        return t("grant.done", role=role, user_id=user_id)
    if asked.scope == PROVINCE:
        role, scope = t.plain("grant.province_officer"), t.plain("grant.province")
    else:
        scope = asked.scope
    return t("grant.done_scoped", role=role, user_id=user_id, scope=scope)


async def grant_role(update: Update, context: BotContext) -> None:
    """Give a user a role and refresh their command menu."""
    t = context.t
    parsed = _parse_grant(context.args or [])
    if isinstance(parsed, str):
        await message_of(update).reply_text(t(parsed))
        return
    user_id, role = parsed.user_id, parsed.role
    if role is None:
        await _revoke(update, context, user_id)
        return
    result = await grant(
        context.deps.db,
        actor_user_id=context.who.user_id,
        user_id=user_id,
        role=role,
        scope=parsed.scope,
    )
    context.deps.identities.forget(user_id)
    refusal = GRANT_REFUSALS.get(result.outcome)
    if refusal:
        await message_of(update).reply_text(t(refusal))
        return
    await message_of(update).reply_text(_granted_text(t, parsed))
    if result.outcome == GrantOutcome.GRANTED and result.chat_id is not None:
        theirs = translator(result.language)
        await set_chat_menu(context.bot, result.chat_id, role, theirs)
        await _notify(
            context,
            result.chat_id,
            theirs(N_("grant.notice"), role=role_label(theirs, role)),
            keyboard_for(role, theirs),
        )


async def _revoke(update: Update, context: BotContext, user_id: int) -> None:
    """Take every role away, then tell the person kindly and clear their menu and keyboard."""
    t = context.t
    result = await revoke(
        context.deps.db,
        actor_user_id=context.who.user_id,
        user_id=user_id,
        settings_admins=context.deps.settings.admin_ids,
    )
    context.deps.identities.forget(user_id)
    if result.outcome is not RevokeOutcome.REVOKED:
        refusal = REVOKE_REFUSALS[result.outcome]
        await message_of(update).reply_text(t(refusal, user_id=str(user_id)))
        return
    assert result.previous is not None
    await message_of(update).reply_text(
        t("revoke.done", user_id=str(user_id), role=role_label(t, result.previous))
    )
    await tell_revoked(context, result)


async def tell_revoked(context: BotContext, result: RevokeResult) -> None:
    """Tell a person kindly that their role was taken away, and clear their menu and keyboard."""
    assert result.previous is not None and result.chat_id is not None
    theirs = translator(result.language)
    await set_chat_menu(context.bot, result.chat_id, None, theirs)
    head = result.previous == Role.HEAD
    key = N_("revoke.notice_head") if head else N_("revoke.notice_staff")
    notice = theirs(key, unit=result.unit_name or "—", role=role_label(theirs, result.previous))
    await _notify(context, result.chat_id, notice, ReplyKeyboardRemove())


async def _notify(
    context: BotContext,
    chat_id: int,
    text: str,
    keyboard: ReplyKeyboardMarkup | ReplyKeyboardRemove | None,
) -> None:
    """Tell a user about a change, with their new keyboard (fine if they never opened the bot)."""
    try:
        await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    except TelegramError:
        logger.info("Could not notify chat %s of its new role", chat_id)


def register(application: BotApplication) -> None:
    """Install the admin commands (the gate has already checked the role)."""
    application.add_handler(CommandHandler("moi", send_invites))
    application.add_handler(CommandHandler("phanquyen", grant_role))
    application.add_handler(CommandHandler("nguoidung", list_people))
