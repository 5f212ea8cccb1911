"""Everything else people send: figures typed in chat, photos, voice notes, stale buttons.

Registered last (before the error handler): conversations, commands and keyboard labels have
had their turn, so what arrives here is a plain message or a button nobody takes any more.
Every message gets a useful answer and every button press is answered.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.services.reports.chat_figures import OutOfRange, figures_to_offer
from bot.services.reports.evidence import file_of
from bot.services.reports.free_text import Reading, Verdict
from bot.services.reports.reports import Reporter, Target
from bot.services.threads.threads import receive_evidence
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.drafts import FreeReading
from bot.telegram.ui.callbacks import Action, build
from bot.telegram.ui.keyboards import buttons, head_menu, report_button, staff_thread_buttons
from bot.telegram.ui.reply_keyboard import keyboard_for
from bot.texts import Html
from bot.texts.chat import doubt_text, evidence_text, reading_text
from bot.texts.reports import number_refusal
from handlers.asking import answer_words, send_voice
from handlers.common import (
    MEDIA,
    chat_id_of,
    display_name,
    incoming_file,
    media_key,
    message_of,
    now_utc,
    own_unit,
    remove_buttons,
    remove_buttons_of,
)


async def _not_for_a_unit(update: Update, context: BotContext) -> None:
    """Officers and admins without a unit: point to their keyboard and /huongdan."""
    t = context.t
    await message_of(update).reply_text(
        t("chat.staff_other"), reply_markup=keyboard_for(context.who.role, t)
    )


async def _offer_figures(
    update: Update, context: BotContext, target: Target, text: str, *, quiet: bool = False
) -> None:
    """Read figures in a message (or a caption) and ask "✅ Đúng / ✏️ Sửa"; never store."""
    t = context.t
    message = message_of(update)
    found = await figures_to_offer(context.deps.db, target, text)
    if isinstance(found, Reading):
        if found.verdict == Verdict.UNSURE:
            await message.reply_text(doubt_text(t, found), reply_markup=report_button(t))
        elif not quiet:
            await answer_words(update, context, target, text)
        return
    if isinstance(found, OutOfRange):
        await message.reply_text(
            t("report.free.refused", reason=number_refusal(t, found.refusal)),
            reply_markup=report_button(t),
        )
        return
    previous = context.drafts.free_reading
    if previous is not None:
        # Only the newest reading keeps live buttons.
        await remove_buttons_of(update, chat_id_of(update), previous.message_id)
    choice = buttons(
        [
            (t("button.right"), build(Action.FREE_CONFIRM, update.update_id)),
            (t("button.edit"), build(Action.FREE_EDIT, update.update_id)),
        ]
    )
    sent = await message.reply_text(
        reading_text(t, target.unit_name, found.enrolled, found.completed, found.kept_completed),
        reply_markup=choice,
    )
    context.drafts.free_reading = FreeReading(
        target, update.update_id, found.enrolled, found.completed, sent.message_id
    )


async def read_typed(update: Update, context: BotContext) -> None:
    """A plain message: figures are offered as a report, anything else gets the buttons."""
    target = own_unit(context.who)
    if target is None:
        await _not_for_a_unit(update, context)
        return
    await _offer_figures(update, context, target, message_of(update).text or "")


async def keep_evidence(update: Update, context: BotContext) -> None:
    """A photo or document: kept for the unit's period and sent to the officers.

    A caption with figures is offered as a report.
    """
    target = own_unit(context.who)
    if target is None:
        await message_of(update).reply_text(context.t("evidence.no_unit"))
        return
    message = message_of(update)
    settings = context.deps.settings
    # Kept, and sent to the officers with "↩️ Trả lời", in one transaction.
    stored = await receive_evidence(
        context.deps.db,
        context.deps.outbox,
        target,
        Reporter(context.who.user_id, display_name(update)),
        incoming_file(message),
        update_id=update.update_id,
        media_group_id=message.media_group_id,
        now=now_utc(),
        period_kind=settings.report_period,
        tz=settings.tz,
        buttons_for=staff_thread_buttons,
    )
    album = message.media_group_id
    # An album arrives as one message per photo: answer its first photo only.
    if album is None or album != context.drafts.media_group:
        await message.reply_text(evidence_text(context.t, stored))
    context.drafts.media_group = album
    if stored.new:
        await context.deps.evidence.fetch(file_of(stored))
    if message.caption:
        await _offer_figures(update, context, target, message.caption, quiet=True)


async def media_reply(update: Update, context: BotContext) -> None:
    """A voice note goes to the officers; a sticker, video, location or contact gets a kind word."""
    t = context.t
    target = own_unit(context.who)
    if target is None:
        await _not_for_a_unit(update, context)
        return
    voice = message_of(update).voice
    if voice is not None:
        await send_voice(update, context, target, voice.file_id)
        return
    await message_of(update).reply_text(
        t("chat.media", what=t(media_key(update))), reply_markup=report_button(t)
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have: say so, with what the sender can do instead."""
    t = context.t
    command = (message_of(update).text or "").split()[0]
    target = own_unit(context.who)
    text = t("chat.unknown_command", command=command)
    if target is None:
        await message_of(update).reply_text(
            Html(text + "\n" + t("chat.staff_other")),
            reply_markup=keyboard_for(context.who.role, t),
        )
        return
    await message_of(update).reply_text(text, reply_markup=head_menu(t))


async def anything_else(update: Update, context: BotContext) -> None:
    """Any other message (a poll, a dice, …): the short reply with buttons."""
    target = own_unit(context.who)
    if target is None:
        await _not_for_a_unit(update, context)
        return
    t = context.t
    await message_of(update).reply_text(
        t("chat.head_other", unit=target.unit_name), reply_markup=head_menu(t)
    )


async def expired_button(update: Update, context: BotContext) -> None:
    """A button no handler takes (its question is over): answer it, and take it away."""
    query = update.callback_query
    assert query is not None
    await query.answer(context.t.plain("button.expired"))
    await remove_buttons(query)


def register(application: BotApplication) -> None:
    """Install the catch-alls; they go after every feature's handlers."""
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, read_typed))
    application.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, keep_evidence))
    application.add_handler(MessageHandler(MEDIA, media_reply))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.ALL, anything_else))
    application.add_handler(CallbackQueryHandler(expired_button))
