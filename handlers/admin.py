"""Admin commands: /donvi (units), /moi (invites and QR codes), /phanquyen (roles)."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot import texts
from bot.context import BotApplication, BotContext
from bot.formatting import escape, format_number, split_for_telegram
from bot.menus import set_chat_menu
from bot.services.contacts import GrantOutcome, grant_role
from bot.services.directory import unit_directory
from bot.services.invite_sheet import invite_sheet_pdf
from bot.services.invites import (
    create_invite,
    current_unit_invites,
    deep_link,
    regenerate_unit_invite,
)
from bot.services.qr import qr_png
from bot.services.units import find_unit
from handlers.common import message_of, now_utc
from models import Role

logger = logging.getLogger(__name__)

GRANT_REFUSALS = {
    GrantOutcome.SELF_DEMOTE: texts.GRANT_SELF_DEMOTE,
    GrantOutcome.HEAD_NEEDS_UNIT: texts.GRANT_HEAD_NEEDS_UNIT,
}


async def list_units(update: Update, context: BotContext) -> None:
    """Send the list of units with how many people registered for each."""
    async with context.deps.session_factory() as session:
        lines = await unit_directory(session)
    if not lines:
        await message_of(update).reply_text(texts.NO_UNITS)
        return
    rendered = [
        texts.unit_line(
            escape(line.code),
            escape(line.name),
            line.kind.value,
            format_number(line.adults) if line.adults is not None else texts.UNKNOWN_ADULTS,
            line.contacts,
        )
        for line in lines
    ]
    for chunk in split_for_telegram([texts.units_header(len(lines)), *rendered]):
        await message_of(update).reply_text(chunk)


OFFICER_INVITE_WORD = "canbo"
REGENERATE_WORD = "lammoi"
OFFICER_INVITE_HOURS = 24


async def send_invites(update: Update, context: BotContext) -> None:
    """Every unit's link; or one unit's link and QR; or a fresh officer invite."""
    args = [arg.lower() for arg in context.args or []]
    if args[:1] == [OFFICER_INVITE_WORD]:
        await _send_officer_invite(update, context)
    elif args:
        await _send_unit_invite(update, context, args[0], regenerate=REGENERATE_WORD in args[1:])
    else:
        await _send_invite_list(update, context)


async def _send_invite_list(update: Update, context: BotContext) -> None:
    """Send every active unit's current link."""
    settings = context.deps.settings
    async with context.deps.session_factory.begin() as session:
        pairs = await current_unit_invites(
            session,
            now_utc(),
            max_uses=settings.invite_max_uses,
            ttl=timedelta(days=settings.invite_ttl_days),
        )
    username = context.deps.bot_username
    lines = [f"{escape(u.name)}: {deep_link(username, inv.code)}" for u, inv in pairs]
    for chunk in split_for_telegram([texts.INVITES_LIST_HEADER, *lines]):
        await message_of(update).reply_text(chunk, disable_web_page_preview=True)
    cards = [(u.name, deep_link(username, inv.code)) for u, inv in pairs]
    if cards:
        await message_of(update).reply_document(
            invite_sheet_pdf(cards, settings.commune_name),
            filename="moi-tham-gia.pdf",
            caption=texts.INVITE_SHEET_CAPTION,
        )


async def _send_unit_invite(
    update: Update, context: BotContext, unit_code: str, *, regenerate: bool
) -> None:
    """Send one unit's link and QR code, first replacing its codes when asked."""
    settings = context.deps.settings
    ttl = timedelta(days=settings.invite_ttl_days)
    async with context.deps.session_factory.begin() as session:
        unit = await find_unit(session, unit_code)
        if unit is None:
            await message_of(update).reply_text(texts.UNKNOWN_UNIT)
            return
        if regenerate:
            invite = await regenerate_unit_invite(
                session,
                unit,
                now_utc(),
                max_uses=settings.invite_max_uses,
                ttl=ttl,
                actor_user_id=context.who.user_id,
            )
        else:
            pairs = await current_unit_invites(
                session, now_utc(), max_uses=settings.invite_max_uses, ttl=ttl
            )
            invite = next(inv for u, inv in pairs if u.id == unit.id)
    if regenerate:
        await message_of(update).reply_text(texts.invite_regenerated(escape(unit.name)))
    link = deep_link(context.deps.bot_username, invite.code)
    await message_of(update).reply_photo(
        qr_png(link), caption=texts.invite_caption(escape(unit.name), link)
    )


async def _send_officer_invite(update: Update, context: BotContext) -> None:
    """Create a one-use, short-lived officer invite and send its link and QR code."""
    async with context.deps.session_factory.begin() as session:
        invite = await create_invite(
            session,
            unit=None,
            role=Role.OFFICER,
            max_uses=1,
            ttl=timedelta(hours=OFFICER_INVITE_HOURS),
            now=now_utc(),
            actor_user_id=context.who.user_id,
        )
    link = deep_link(context.deps.bot_username, invite.code)
    await message_of(update).reply_photo(
        qr_png(link), caption=texts.officer_invite_caption(link, OFFICER_INVITE_HOURS)
    )


def _parse_grant(args: list[str]) -> tuple[int, Role] | str:
    """Read "USER_ID ROLE", or return the Vietnamese reason it is wrong."""
    if len(args) != 2:
        return texts.GRANT_USAGE
    raw_user, raw_role = args
    if not raw_user.isdigit() or not raw_user.isascii():
        return texts.GRANT_BAD_USER
    try:
        return int(raw_user), Role(raw_role.lower())
    except ValueError:
        return texts.GRANT_BAD_ROLE


async def grant(update: Update, context: BotContext) -> None:
    """Give a user a role and refresh their command menu."""
    parsed = _parse_grant(context.args or [])
    if isinstance(parsed, str):
        await message_of(update).reply_text(parsed)
        return
    user_id, role = parsed
    async with context.deps.session_factory.begin() as session:
        result = await grant_role(
            session, actor_user_id=context.who.user_id, user_id=user_id, role=role
        )
    context.deps.identities.forget(user_id)
    refusal = GRANT_REFUSALS.get(result.outcome)
    if refusal:
        await message_of(update).reply_text(refusal)
        return
    await message_of(update).reply_text(texts.role_granted(user_id, role.value))
    if result.outcome == GrantOutcome.GRANTED and result.chat_id is not None:
        await set_chat_menu(context.bot, result.chat_id, role)
        await _notify(context, result.chat_id, texts.role_changed_notice(role.value))


async def _notify(context: BotContext, chat_id: int, text: str) -> None:
    """Tell a user about a change; they may never have opened the bot, which is fine."""
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError:
        logger.info("Could not notify chat %s of its new role", chat_id)


def register(application: BotApplication) -> None:
    """Install the admin commands (the gate has already checked the role)."""
    application.add_handler(CommandHandler("donvi", list_units))
    application.add_handler(CommandHandler("moi", send_invites))
    application.add_handler(CommandHandler("phanquyen", grant))
