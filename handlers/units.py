"""/donvi: the units by group and page, and one unit's card to change it from the phone.

A card shows the unit and its people, each with 🚫 Gỡ, and ✏️ Số người lớn, ✏️ Tên,
🔗 Mã mời mới, 🗄 Ngừng theo dõi. Removing someone and archiving are asked first; typed answers
(adults, a name) are a conversation whose steps re-check the admin's role.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.services.registry.directory import by_group, list_directory
from bot.services.registry.revoke import RevokeOutcome, RevokeResult, revoke
from bot.services.registry.unit_admin import (
    MAX_NAME,
    Change,
    Changed,
    UnitCard,
    archive_unit,
    rename_unit,
    set_adults,
    unit_card,
)
from bot.services.registry.unit_import import MAX_ADULTS
from bot.services.reports.numbers import NumberRefusal, parse_count
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.drafts import UnitEditDraft
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.ui.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.ui.keyboards import buttons
from bot.telegram.ui.reply_keyboard import typed_text
from bot.texts import Html
from bot.texts.reports import number_refusal
from bot.texts.units import card_text, directory_page
from handlers.admin import REVOKE_REFUSALS, send_unit_invite, tell_revoked
from handlers.common import callback_data, message_of, reply
from handlers.picker import PAGE_SIZE, PickerActions, page_of, picker_keyboard, redraw_picker
from handlers.staff import staff_only
from models import Role

logger = logging.getLogger(__name__)

ADULTS, NAME = range(2)
LIST = PickerActions(Action.UNIT_SHOW, Action.UNIT_PAGE)
CODE = r"[A-Za-z0-9_-]{1,32}"


async def show_units(update: Update, context: BotContext) -> None:
    """/donvi: the first page of units; /donvi CODE: that unit's card."""
    args = context.args or []
    if args:
        await _send_card(update, context, args[0])
        return
    view = await _page(context, 0)
    if view is None:
        await message_of(update).reply_text(context.t("units.none"))
        return
    await message_of(update).reply_text(view[0], reply_markup=view[1])


async def _page(context: BotContext, page: int) -> tuple[Html, InlineKeyboardMarkup] | None:
    """One page of the grouped list (text and buttons), or None without units."""
    units = by_group(await list_directory(context.deps.db))
    if not units:
        return None
    markup = picker_keyboard(context.t, [(u.code, u.name) for u in units], (), page, LIST)
    page, pages = page_of(len(units), page)
    shown = units[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return directory_page(context.t, shown, total=len(units), page=page, pages=pages), markup


async def turn_page(update: Update, context: BotContext) -> None:
    """◀ / ▶ under the list."""
    view = await _page(context, int_arg(callback_data(update), Action.UNIT_PAGE))
    if view is None:
        await reply(update, context.t("units.none"))
        return
    await redraw_picker(update, view[1], view[0])


async def open_card(update: Update, context: BotContext) -> None:
    """A unit pressed in the list: its card, as a new message."""
    [code] = args_of(callback_data(update), Action.UNIT_SHOW)
    await _send_card(update, context, code)


def _card_buttons(context: BotContext, card: UnitCard) -> InlineKeyboardMarkup | None:
    """🚫 Gỡ per person, then the unit's changes; an archived unit has none."""
    if not card.active:
        return None
    t = context.t
    people = [
        [
            (
                t.plain("units.button.remove", name=m.name),
                build(Action.UNIT_REMOVE, card.code, m.user_id),
            )
        ]
        for m in card.members
        # Officers and admins are managed with /phanquyen: removing them here would take
        # their whole role, which the question does not say.
        if m.role == Role.HEAD
    ]
    return buttons(
        *people,
        [
            (t("units.button.adults"), build(Action.UNIT_ADULTS, card.code)),
            (t("units.button.rename"), build(Action.UNIT_RENAME, card.code)),
        ],
        [
            (t("units.button.invite"), build(Action.UNIT_INVITE, card.code)),
            (t("units.button.archive"), build(Action.UNIT_ARCHIVE, card.code)),
        ],
    )


async def _send_card(update: Update, context: BotContext, code: str) -> None:
    """The unit's card, or one line saying the code is unknown."""
    card = await unit_card(context.deps.db, code)
    if card is None:
        await reply(update, context.t("units.unknown"))
        return
    await reply(update, card_text(context.t, card), _card_buttons(context, card))


def _confirm(context: BotContext, yes_label: str, yes_data: str) -> InlineKeyboardMarkup:
    """The two buttons of a question asked before a change."""
    return buttons(
        [(yes_label, yes_data), (context.t("units.button.keep"), build(Action.UNIT_KEEP))]
    )


async def ask_remove(update: Update, context: BotContext) -> None:
    """🚫 Gỡ: ask before removing the person from the unit."""
    code, user_id = args_of(callback_data(update), Action.UNIT_REMOVE)
    card = await unit_card(context.deps.db, code)
    member = next((m for m in card.members if str(m.user_id) == user_id), None) if card else None
    if card is None or member is None:
        await reply(update, context.t("units.remove_gone", unit=card.name if card else code))
        return
    t = context.t
    question = t("units.remove_ask", name=member.name, user_id=user_id, unit=card.name)
    yes = build(Action.UNIT_REMOVE_YES, code, user_id)
    await reply(update, question, _confirm(context, t("units.button.remove_yes"), yes))


async def remove(update: Update, context: BotContext) -> None:
    """The removal confirmed: revoke, if the person is still in this unit."""
    code, user_text = args_of(callback_data(update), Action.UNIT_REMOVE_YES)
    user_id = int(user_text)
    card = await unit_card(context.deps.db, code)
    result = await revoke(
        context.deps.db,
        actor_user_id=context.who.user_id,
        user_id=user_id,
        settings_admins=context.deps.settings.admin_ids,
        unit_id=card.unit_id if card else -1,
    )
    context.deps.identities.forget(user_id)
    t = context.t
    unit = card.name if card else code
    if result.outcome is RevokeOutcome.UNKNOWN:
        await settle(update, t("units.remove_gone", unit=unit))
    elif result.outcome is not RevokeOutcome.REVOKED:
        await settle(update, t(REVOKE_REFUSALS[result.outcome], user_id=user_text))
    else:
        await settle(update, t("units.remove_done", user_id=user_text, unit=unit))
        await _tell(context, result)


async def ask_archive(update: Update, context: BotContext) -> None:
    """🗄 Ngừng theo dõi: ask first, saying who will be removed."""
    [code] = args_of(callback_data(update), Action.UNIT_ARCHIVE)
    card = await unit_card(context.deps.db, code)
    t = context.t
    if card is None or not card.active:
        await reply(update, t("units.already_archived", unit=card.name if card else code))
        return
    heads = sum(1 for member in card.members if member.role == Role.HEAD)
    question = t("units.archive_ask", unit=card.name, count=heads)
    yes = build(Action.UNIT_ARCHIVE_YES, code)
    await reply(update, question, _confirm(context, t("units.button.archive"), yes))


async def archive(update: Update, context: BotContext) -> None:
    """The archive confirmed: out of lists and figures; tell the people it removed."""
    [code] = args_of(callback_data(update), Action.UNIT_ARCHIVE_YES)
    changed = await archive_unit(context.deps.db, code, actor_user_id=context.who.user_id)
    t = context.t
    if changed.outcome is Change.UNKNOWN or changed.card is None:
        await settle(update, t("units.unknown"))
        return
    if changed.outcome is Change.ARCHIVED:
        await settle(update, t("units.already_archived", unit=changed.card.name))
        return
    context.deps.identities.forget()
    await settle(
        update, t("units.archive_done", unit=changed.card.name, count=len(changed.removed))
    )
    for result in changed.removed:
        await _tell(context, result)


async def keep(update: Update, context: BotContext) -> None:
    """↩️ Giữ nguyên: nothing changes; the question loses its buttons."""
    await settle(update, context.t("units.kept"))


async def settle(update: Update, text: str) -> None:
    """Answer a confirmation in place: its text becomes the outcome, without buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        await query.edit_message_text(text)
    except TelegramError:
        await reply(update, text)


async def _tell(context: BotContext, result: RevokeResult) -> None:
    """Tell one removed person (best effort: the change is made whatever happens here)."""
    try:
        await tell_revoked(context, result)
    except TelegramError:
        logger.info("Could not tell chat %s it was removed from its unit", result.chat_id)


async def new_invite(update: Update, context: BotContext) -> None:
    """🔗 Mã mời mới: replace the unit's codes and send the new link and QR code."""
    [code] = args_of(callback_data(update), Action.UNIT_INVITE)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await send_unit_invite(update, context, code, regenerate=True)


async def ask_adults(update: Update, context: BotContext) -> int:
    """✏️ Số người lớn: ask for the number."""
    return await _ask(update, context, Action.UNIT_ADULTS, "adults")


async def ask_name(update: Update, context: BotContext) -> int:
    """✏️ Tên: ask for the new name."""
    return await _ask(update, context, Action.UNIT_RENAME, "name")


async def _ask(update: Update, context: BotContext, action: Action, field: str) -> int:
    """Ask for one field of an active unit; an archived or unknown one says so."""
    [code] = args_of(callback_data(update), action)
    card = await unit_card(context.deps.db, code)
    t = context.t
    if card is None or not card.active:
        await reply(update, t("units.already_archived", unit=card.name if card else code))
        return ConversationHandler.END
    context.drafts.unit_edit = UnitEditDraft(card.code, field)
    if field == "adults":
        adults = (
            t.number(card.adults) if card.adults is not None else t.plain("units.unknown_adults")
        )
        await reply(update, t("units.ask_adults", unit=card.name, adults=adults))
        return ADULTS
    await reply(update, t("units.ask_name", unit=card.name, limit=MAX_NAME))
    return NAME


def _editing(context: BotContext) -> UnitEditDraft:
    """The unit being changed."""
    draft = context.drafts.unit_edit
    assert draft is not None
    return draft


async def receive_adults(update: Update, context: BotContext) -> int:
    """The typed number: refused with the reason, or stored and the card shown again."""
    t = context.t
    try:
        adults = parse_count(message_of(update).text or "")
    except NumberRefusal as refusal:
        await reply(update, t("units.adults_bad", reason=number_refusal(t, refusal)))
        return ADULTS
    if adults < 1:
        await reply(update, t("units.adults_positive"))
        return ADULTS
    if adults > MAX_ADULTS:
        await reply(update, t("units.adults_too_many", limit=MAX_ADULTS))
        return ADULTS
    changed = await set_adults(
        context.deps.db, _editing(context).code, adults, actor_user_id=context.who.user_id
    )
    if changed.outcome is Change.BELOW_ENROLLED and changed.card is not None:
        await reply(
            update,
            t("units.adults_below", unit=changed.card.name, enrolled=changed.card.enrolled or 0),
        )
        return ADULTS
    return await _after_edit(update, context, changed)


async def receive_name(update: Update, context: BotContext) -> int:
    """The typed name: refused when empty or too long, or stored and the card shown again."""
    name = " ".join((message_of(update).text or "").split())
    if not name or len(name) > MAX_NAME:
        await reply(update, context.t("units.name_bad", limit=MAX_NAME))
        return NAME
    changed = await rename_unit(
        context.deps.db, _editing(context).code, name, actor_user_id=context.who.user_id
    )
    if changed.outcome is Change.NAME_TAKEN:
        await reply(update, context.t("units.name_taken", name=name))
        return NAME
    if changed.outcome is Change.DONE:
        context.deps.identities.forget()
    return await _after_edit(update, context, changed)


async def _after_edit(update: Update, context: BotContext, changed: Changed) -> int:
    """Say what happened and show the card again; the question is over."""
    t = context.t
    context.drafts.unit_edit = None
    card = changed.card
    if changed.outcome is Change.UNKNOWN or card is None:
        await reply(update, t("units.unknown"))
    elif changed.outcome is Change.ARCHIVED:
        await reply(update, t("units.already_archived", unit=card.name))
    else:
        done = changed.outcome is Change.DONE
        await reply(update, t("units.changed") if done else t("units.unchanged"))
        await reply(update, card_text(t, card), _card_buttons(context, card))
    return ConversationHandler.END


async def cancel_edit(update: Update, context: BotContext) -> int:
    """/huy while typing: nothing changes."""
    context.drafts.unit_edit = None
    await reply(update, context.t("units.edit_cancelled"))
    return ConversationHandler.END


def build_edit_conversation(shared: SharedState, timeout_seconds: int) -> Conversation:
    """✏️ Số người lớn and ✏️ Tên, with the typed answer each asks for."""
    typed = typed_text()
    return Conversation(
        shared=shared,
        entry_points=[
            CallbackQueryHandler(ask_adults, pattern=pattern(Action.UNIT_ADULTS, CODE)),
            CallbackQueryHandler(ask_name, pattern=pattern(Action.UNIT_RENAME, CODE)),
        ],
        states={
            ADULTS: [MessageHandler(typed, receive_adults)],
            NAME: [MessageHandler(typed, receive_name)],
        },
        fallbacks=[CommandHandler("huy", cancel_edit)],
        conversation_timeout=timeout_seconds,
        name="unit_edit",
    )


def register(application: BotApplication) -> None:
    """Install /donvi, the list's pages and the card's buttons (the gate checked the role)."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(
        staff_only(
            build_edit_conversation(application.bot_data.shared_state, timeout),
            command="donvi",
            slot="unit_edit",
        )
    )
    application.add_handler(CommandHandler("donvi", show_units))
    for action, callback, args in (
        (Action.UNIT_PAGE, turn_page, r"\d+"),
        (Action.UNIT_SHOW, open_card, CODE),
        (Action.UNIT_REMOVE, ask_remove, CODE + r":\d+"),
        (Action.UNIT_REMOVE_YES, remove, CODE + r":\d+"),
        (Action.UNIT_ARCHIVE, ask_archive, CODE),
        (Action.UNIT_ARCHIVE_YES, archive, CODE),
        (Action.UNIT_INVITE, new_invite, CODE),
        (Action.UNIT_KEEP, keep, ""),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern(action, args)))
