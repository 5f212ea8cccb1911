"""/phanhoi and "↩️ Trả lời": officers answer units, units answer back, "✅ Đã xử lý".

A "↩️ Trả lời" press leaves a draft (`UserData.thread_reply`), not a conversation state: the
next text or photo of that person is the answer, whatever other conversation they left
half-way (these handlers come before every conversation). The question lapses after
CONVERSATION_TIMEOUT_SECONDS, and as soon as the person does something else: a command, a
key of the keyboard, another button (`forget_reply`, in a later handler group, so the
command itself still runs).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from bot.services.reports.evidence import file_of
from bot.services.reports.reports import Reporter, ReportRefused, own_target
from bot.services.threads.threads import (
    OpenThreads,
    Posted,
    Resolution,
    Written,
    answer_unit,
    open_threads,
    resolve_thread,
    thread_view,
    write_to_commune,
)
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.drafts import ThreadReplyDraft, UserData
from bot.telegram.ui.callbacks import Action, action_of, args_of, build, pattern
from bot.telegram.ui.keyboards import buttons, staff_thread_buttons, unit_thread_buttons
from bot.telegram.ui.permissions import command_allowed
from bot.telegram.ui.reply_keyboard import typed_text
from bot.texts import N_, Translator
from bot.texts.threads import ask_text, open_threads_text
from handlers.common import (
    MEDIA,
    callback_data,
    display_name,
    incoming_file,
    media_key,
    message_of,
    now_utc,
    reply,
)
from handlers.gate import command_of
from models import ThreadSide

# Open threads shown by /phanhoi at once (each with its two buttons); the next ones show as
# these are handled.
PAGE = 10
FROM_LIST = "list"
# Buttons answered without another question: they never end a pending answer.
REPLY_ACTIONS = frozenset({Action.THREAD_ANSWER, Action.THREAD_WRITE})


class ReplyPending(filters.MessageFilter):
    """Messages of someone whose "↩️ Trả lời" still waits for its answer."""

    def __init__(self, application: BotApplication) -> None:
        """Read drafts from the application's user data; questions lapse with the timeout."""
        super().__init__(name="ReplyPending")
        self._users = application.user_data
        self._timeout = application.bot_data.settings.conversation_timeout_seconds

    def filter(self, message: Message) -> bool:
        """Whether the sender has a fresh draft, and the message fits it (an album's photo)."""
        user = message.from_user
        data: UserData | None = self._users.get(user.id) if user is not None else None
        draft = data.thread_reply if data is not None else None
        if draft is None or time.time() - draft.asked_at > self._timeout:
            return False
        return draft.album is None or message.media_group_id == draft.album


def _threads_markup(t: Translator, found: OpenThreads) -> InlineKeyboardMarkup | None:
    """One row per listed thread: "↩️ 1. Thôn 1" and "✅ Đã xử lý (1)"."""
    rows = [
        [
            (
                t.plain("button.thread_reply_unit", number=number, unit=view.unit_name),
                build(Action.THREAD_ANSWER, view.thread_id),
            ),
            (
                t.plain("button.thread_resolve_number", number=number),
                build(Action.THREAD_RESOLVE, view.thread_id, FROM_LIST),
            ),
        ]
        for number, view in enumerate(found.threads, start=1)
    ]
    return buttons(*rows) if rows else None


async def show_threads(update: Update, context: BotContext) -> None:
    """/phanhoi (or /thongke's button): the open threads, newest first, with their buttons."""
    t, settings = context.t, context.deps.settings
    found = await open_threads(context.deps.db, PAGE)
    await reply(update, open_threads_text(t, found, settings.tz), _threads_markup(t, found))


async def _ask(update: Update, context: BotContext, thread_id: int, side: ThreadSide) -> None:
    """Ask for the answer's text or photo; remember what it answers."""
    t = context.t
    query = update.callback_query
    assert query is not None
    view = await thread_view(context.deps.db, thread_id)
    if view is None:
        await query.answer(t.plain("thread.gone"), show_alert=True)
        return
    if side == ThreadSide.UNIT and view.unit_id != context.who.unit_id:
        await query.answer(t.plain("thread.not_yours"), show_alert=True)
        return
    context.drafts.thread_reply = ThreadReplyDraft(
        thread_id, side.value, view.unit_name, time.time()
    )
    await reply(update, ask_text(t, view, side, context.deps.settings.tz))


async def ask_answer(update: Update, context: BotContext) -> None:
    """Handle "↩️ Trả lời" under a unit's message or in /phanhoi: ask the officer's answer."""
    [thread_id] = args_of(callback_data(update), Action.THREAD_ANSWER)
    await _ask(update, context, int(thread_id), ThreadSide.COMMUNE)


async def ask_write(update: Update, context: BotContext) -> None:
    """Handle "↩️ Trả lời" under an officer's answer: ask the unit's answer back."""
    [thread_id] = args_of(callback_data(update), Action.THREAD_WRITE)
    await _ask(update, context, int(thread_id), ThreadSide.UNIT)


def _written(message: Message) -> Written:
    """The answer as typed, or the photo/document with its caption."""
    if message.photo or message.document:
        return Written(message.caption or "", incoming_file(message), message.media_group_id)
    return Written(message.text or "")


async def receive_reply(update: Update, context: BotContext) -> None:
    """The answer after "↩️ Trả lời": stored in the thread, then sent through the outbox."""
    draft = context.drafts.thread_reply
    assert draft is not None
    message = message_of(update)
    written = _written(message)
    # An album's other photos belong to this answer too; anything else after it does not.
    album = written.media_group_id if written.file is not None else None
    context.drafts.thread_reply = replace(draft, album=album) if album else None
    if draft.side == ThreadSide.COMMUNE:
        await _answer_unit(update, context, draft, written)
    else:
        await _write_to_commune(update, context, draft, written)


async def _answer_unit(
    update: Update, context: BotContext, draft: ThreadReplyDraft, written: Written
) -> None:
    """An officer's answer to the unit's contacts (re-checking the officer's role first)."""
    t = context.t
    if not command_allowed("phanhoi", context.who.role):
        context.drafts.thread_reply = None
        await message_of(update).reply_text(t("access.not_allowed"))
        return
    posted = await answer_unit(
        context.deps.db,
        context.deps.outbox,
        draft.thread_id,
        Reporter(context.who.user_id, display_name(update)),
        written,
        update_id=update.update_id,
        now=now_utc(),
        buttons_for=unit_thread_buttons,
    )
    if posted is None:
        await message_of(update).reply_text(t("thread.gone_text"))
        return
    if posted.joined:
        return
    key = N_("thread.sent_to_unit") if posted.recipients else N_("thread.sent_nobody")
    done = buttons(
        [(t.plain("button.thread_resolve"), build(Action.THREAD_RESOLVE, posted.thread_id))]
    )
    await message_of(update).reply_text(
        t(key, unit=posted.unit_name, people=posted.recipients), reply_markup=done
    )


async def _write_to_commune(
    update: Update, context: BotContext, draft: ThreadReplyDraft, written: Written
) -> None:
    """A unit's answer back to the officers (a photo is kept as evidence too)."""
    t, settings = context.t, context.deps.settings
    try:
        target = own_target(context.who)
    except ReportRefused:
        target = None
    posted: Posted | None = None
    if target is not None:
        posted = await write_to_commune(
            context.deps.db,
            context.deps.outbox,
            draft.thread_id,
            target,
            Reporter(context.who.user_id, display_name(update)),
            written,
            update_id=update.update_id,
            now=now_utc(),
            period_kind=settings.report_period,
            tz=settings.tz,
            buttons_for=staff_thread_buttons,
        )
    if posted is None:
        context.drafts.thread_reply = None
        await message_of(update).reply_text(t("thread.not_yours"))
        return
    if not posted.joined:
        await message_of(update).reply_text(t("thread.sent_to_commune"))
    if posted.evidence is not None and posted.evidence.new:
        await context.deps.evidence.fetch(file_of(posted.evidence))


async def remind_reply(update: Update, context: BotContext) -> None:
    """A voice note or a sticker while an answer is awaited: ask for it in writing (or a photo).

    The answer stays awaited; the usual reply ("press 📝 Báo cáo") would lead away from it.
    """
    t = context.t
    await message_of(update).reply_text(t("thread.media", what=t(media_key(update))))


async def cancel_reply(update: Update, context: BotContext) -> None:
    """/huy while an answer is awaited: forget it."""
    context.drafts.thread_reply = None
    await message_of(update).reply_text(context.t("thread.cancelled"))


def _without_resolve(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """A message's buttons without "✅ Đã xử lý" (the others, such as "↩️ Trả lời", stay)."""
    if markup is None:
        return None
    rows = [
        [
            InlineKeyboardButton(button.text, callback_data=button.callback_data)
            for button in row
            if action_of(str(button.callback_data or "")) != Action.THREAD_RESOLVE
        ]
        for row in markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


async def press_resolve(update: Update, context: BotContext) -> None:
    """Handle "✅ Đã xử lý": mark the thread handled; refresh /phanhoi or drop the button."""
    t, settings = context.t, context.deps.settings
    query = update.callback_query
    assert query is not None
    args = args_of(callback_data(update), Action.THREAD_RESOLVE)
    result = await resolve_thread(context.deps.db, int(args[0]), context.who.user_id, now_utc())
    if result.outcome == Resolution.MISSING:
        await query.answer(t.plain("thread.gone"), show_alert=True)
        return
    if result.outcome == Resolution.ALREADY:
        assert result.resolved_at is not None
        when = t.datetime(result.resolved_at, settings.tz)
        await query.answer(t.plain("thread.already", unit=result.unit_name, when=when))
    else:
        await query.answer(t.plain("thread.resolved", unit=result.unit_name))
    pressed = query.message
    if not isinstance(pressed, Message):
        return
    with contextlib.suppress(BadRequest):
        if args[1:] == [FROM_LIST]:
            found = await open_threads(context.deps.db, PAGE)
            await pressed.edit_text(
                open_threads_text(t, found, settings.tz), reply_markup=_threads_markup(t, found)
            )
        else:
            await pressed.edit_reply_markup(_without_resolve(pressed.reply_markup))


async def forget_reply(update: Update, context: BotContext) -> None:
    """Drop a pending "↩️ Trả lời" once its person moves on (a command, a key, a button)."""
    if context.user_data is None or context.drafts.thread_reply is None:
        return
    query = update.callback_query
    if query is not None:
        if action_of(query.data or "") in REPLY_ACTIONS:
            return
    elif command_of(update) is None:
        return
    context.drafts.thread_reply = None


def register(application: BotApplication) -> None:
    """Install the answers (before every conversation), /phanhoi and the thread buttons."""
    pending = ReplyPending(application)
    answer = typed_text() | filters.PHOTO | filters.Document.ALL
    application.add_handler(CommandHandler("huy", cancel_reply, filters=pending))
    application.add_handler(MessageHandler(pending & answer, receive_reply))
    application.add_handler(MessageHandler(pending & MEDIA, remind_reply))
    application.add_handler(CommandHandler("phanhoi", show_threads))
    application.add_handler(CallbackQueryHandler(show_threads, pattern=pattern(Action.THREAD_LIST)))
    application.add_handler(
        CallbackQueryHandler(ask_answer, pattern=pattern(Action.THREAD_ANSWER, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(ask_write, pattern=pattern(Action.THREAD_WRITE, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(
            press_resolve, pattern=pattern(Action.THREAD_RESOLVE, rf"\d+(:{FROM_LIST})?")
        )
    )
    # After group 0 has handled the update, so that the command or button itself still works.
    application.add_handler(TypeHandler(Update, forget_reply), group=1)
