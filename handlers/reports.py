"""/baocao (report figures, by command or by questions), /tiendo, and the report buttons."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
)

from bot.services.reports.chat_figures import completed_in_sentence, figures_in_sentence
from bot.services.reports.numbers import NumberRefusal, parse_count
from bot.services.reports.reports import (
    Figures,
    Refused,
    Reporter,
    ReportRefused,
    completed_left_behind,
    figures_from_text,
    may_report_for,
    own_target,
    progress_of,
    read_command,
    validate_figures,
)
from bot.services.reports.submission import Request, Submission
from bot.services.threads.threads import send_note
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.drafts import ReportDraft
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.ui.callbacks import Action, build, int_arg, pattern
from bot.telegram.ui.keyboards import buttons, staff_thread_buttons
from bot.telegram.ui.reply_keyboard import label_filter, typed_text
from bot.texts import N_, Html
from bot.texts.recognition import milestone_congrats
from bot.texts.reports import (
    decrease_question,
    echo_text,
    number_refusal,
    progress_text,
    report_refusal,
)
from handlers.common import (
    callback_data,
    display_name,
    message_of,
    now_utc,
    remove_buttons,
    reply,
)

ASK_ENROLLED, ASK_COMPLETED, CONFIRM_DECREASE, ASK_REASON, ASK_NOTE = range(5)
MAX_REASON = 300


def _draft(context: BotContext) -> ReportDraft:
    """The conversation's draft."""
    draft = context.drafts.report
    assert draft is not None
    return draft


def _save(context: BotContext, draft: ReportDraft) -> None:
    """Keep the draft between questions."""
    context.drafts.report = draft


def _clear(context: BotContext) -> int:
    """Forget the draft and end the conversation."""
    context.drafts.report = None
    return ConversationHandler.END


def _retry(context: BotContext, refusal: NumberRefusal) -> Html:
    """A refusal followed by a re-prompt."""
    return context.t("report.retry", reason=number_refusal(context.t, refusal))


async def start_report(update: Update, context: BotContext) -> int:
    """/baocao [unit code] [enrolled] [completed], or the "📝 Báo cáo" button."""
    t = context.t
    try:
        command = await read_command(context.deps.db, context.who, context.args or [])
    except ReportRefused as refused:
        await reply(update, report_refusal(t, refused.reason))
        return _clear(context)
    draft = ReportDraft(command.target)
    if not command.numbers.strip():
        _save(context, draft)
        await reply(update, t("report.ask_enrolled", unit=draft.target.unit_name))
        return ASK_ENROLLED
    try:
        figures = figures_from_text(command.numbers)
        validate_figures(figures, draft.target.adults)
    except NumberRefusal as refusal:
        await reply(update, t("report.refused", reason=number_refusal(t, refusal)))
        return _clear(context)
    return await _finish(
        update, context, replace(draft, enrolled=figures.enrolled, completed=figures.completed)
    )


def _answer(text: str, draft: ReportDraft) -> Figures:
    """A typed answer: one figure, or a sentence read as outside the questions; else refused."""
    try:
        return Figures(parse_count(text))
    except NumberRefusal:
        figures = figures_in_sentence(text, draft.target.unit_name)
        if figures is None:
            raise
        return figures


def _completed_answer(text: str, draft: ReportDraft) -> Figures:
    """The answer to "how many completed": a figure, "15 người hoàn thành", or both figures."""
    assert draft.enrolled is not None
    completed = completed_in_sentence(text, draft.target.unit_name)
    if completed is not None:
        return Figures(draft.enrolled, completed)
    answer = _answer(text, draft)
    # One figure answers the question; a sentence names both ("47 người, 15 hoàn thành").
    return Figures(draft.enrolled, answer.enrolled) if answer.completed is None else answer


async def receive_enrolled(update: Update, context: BotContext) -> int:
    """Read the enrolled figure, then ask for completed (a sentence may give both)."""
    draft = _draft(context)
    try:
        figures = _answer(message_of(update).text or "", draft)
        validate_figures(figures, draft.target.adults)
    except NumberRefusal as refusal:
        await reply(update, _retry(context, refusal))
        return ASK_ENROLLED
    if figures.completed is not None:
        both = replace(draft, enrolled=figures.enrolled, completed=figures.completed)
        return await _finish(update, context, both)
    enrolled = figures.enrolled
    _save(context, replace(draft, enrolled=enrolled))
    skip = buttons([(context.t("button.skip"), build(Action.REPORT_SKIP))])
    await reply(update, context.t("report.ask_completed"), skip)
    return ASK_COMPLETED


async def receive_completed(update: Update, context: BotContext) -> int:
    """Read the completed figure (or "Bỏ qua"), then record or ask about a decrease."""
    draft = _draft(context)
    assert draft.enrolled is not None
    if update.callback_query is not None:
        return await _finish(update, context, replace(draft, completed=None))
    text = message_of(update).text or ""
    try:
        figures = _completed_answer(text, draft)
        validate_figures(figures, draft.target.adults)
    except NumberRefusal as refusal:
        await reply(update, _retry(context, refusal))
        return ASK_COMPLETED
    both = replace(draft, enrolled=figures.enrolled, completed=figures.completed)
    return await _finish(update, context, both)


async def _finish(update: Update, context: BotContext, draft: ReportDraft) -> int:
    """Record the draft, unless it lowers the figures: then ask for confirmation first."""
    if not may_report_for(context.who, draft.target):
        return await _no_longer_allowed(update, context)
    submission = await _submit(update, context, draft, reason=None)
    if submission.needs_confirmation:
        assert submission.previous is not None and draft.enrolled is not None
        t = context.t
        new = Figures(draft.enrolled, draft.completed)
        if completed_left_behind(new, submission.previous):
            # The kept completed figure would exceed the new enrolled one: ask for both.
            await reply(
                update,
                t(
                    "report.completed_left_behind",
                    completed=submission.previous.completed or 0,
                    enrolled=draft.enrolled,
                ),
            )
            return _clear(context)
        _save(context, draft)
        confirm = buttons(
            [
                (t("button.confirm"), build(Action.REPORT_CONFIRM)),
                (t("button.edit"), build(Action.REPORT_EDIT)),
            ]
        )
        await reply(update, decrease_question(t, submission.previous, new), confirm)
        return CONFIRM_DECREASE
    await _echo(update, context, submission, draft.target.on_behalf)
    return _clear(context)


async def confirm_decrease(update: Update, context: BotContext) -> int:
    """Handle "Xác nhận": ask for the short reason."""
    await reply(update, context.t("report.ask_reason"))
    return ASK_REASON


async def edit_figures(update: Update, context: BotContext) -> int:
    """Handle "Sửa": start the questions again."""
    draft = _draft(context)
    _save(context, ReportDraft(draft.target))
    await reply(update, context.t("report.ask_enrolled", unit=draft.target.unit_name))
    return ASK_ENROLLED


async def receive_reason(update: Update, context: BotContext) -> int:
    """Store the confirmed lower figures as a correction with its reason."""
    reason = " ".join((message_of(update).text or "").split())
    if not reason or len(reason) > MAX_REASON:
        await reply(update, context.t("report.reason_too_long", limit=MAX_REASON))
        return ASK_REASON
    draft = _draft(context)
    if not may_report_for(context.who, draft.target):
        return await _no_longer_allowed(update, context)
    submission = await _submit(update, context, draft, reason=reason)
    await _echo(update, context, submission, draft.target.on_behalf)
    return _clear(context)


async def _no_longer_allowed(update: Update, context: BotContext) -> int:
    """The sender's role or unit changed since the questions began: store nothing."""
    await reply(update, report_refusal(context.t, Refused.OTHER_UNIT))
    return _clear(context)


async def _submit(
    update: Update, context: BotContext, draft: ReportDraft, *, reason: str | None
) -> Submission:
    """Hand the figures to the report writer and wait until they are committed."""
    assert draft.enrolled is not None
    request = Request(
        target=draft.target,
        figures=Figures(draft.enrolled, draft.completed),
        reporter=Reporter(context.who.user_id, display_name(update)),
        # Figures read from a chat message are stored under that message's update, so that
        # "✅ Đúng" pressed twice stores once.
        update_id=draft.source_update_id or update.update_id,
        now=now_utc(),
        correction_reason=reason,
    )
    return await context.deps.report_writer.submit(request)


async def _echo(
    update: Update, context: BotContext, submission: Submission, on_behalf: bool
) -> None:
    """Repeat back exactly what was stored, with the note button."""
    assert submission.echo is not None and submission.report_id is not None
    t = context.t
    text = echo_text(t, submission.echo, on_behalf=on_behalf)
    rows = [[(t("button.note"), build(Action.REPORT_NOTE, submission.report_id))]]
    if submission.milestones:
        # 🎉 the first time the unit reaches 50 % or the target (stored with the report).
        congrats = milestone_congrats(t, submission.echo.unit_name, submission.milestones)
        text = Html(f"{text}\n\n{congrats}")
        if not on_behalf:
            rows.append([(t("share.button.start"), build(Action.MODEL_START))])
    await reply(update, text, buttons(*rows))


async def confirm_reading(update: Update, context: BotContext) -> int:
    """Handle "✅ Đúng" under figures read from a chat message: store them as /baocao would."""
    query = update.callback_query
    assert query is not None
    reading = context.drafts.free_reading
    update_id = int_arg(callback_data(update), Action.FREE_CONFIRM)
    if (
        reading is None
        or reading.update_id != update_id
        or reading.target.unit_id != context.who.unit_id
    ):
        await query.answer(context.t.plain("button.expired"))
        await remove_buttons(query)
        return ConversationHandler.END
    # Used once: a second press (a double tap) is told the button expired, rather than being
    # given the stored report's echo, and its congratulation, again.
    context.drafts.free_reading = None
    await remove_buttons(query)
    draft = ReportDraft(
        reading.target, reading.enrolled, reading.completed, source_update_id=reading.update_id
    )
    return await _finish(update, context, draft)


async def edit_reading(update: Update, context: BotContext) -> int:
    """Handle "✏️ Sửa" under figures read from a chat message: ask for them one by one."""
    query = update.callback_query
    assert query is not None
    reading = context.drafts.free_reading
    context.drafts.free_reading = None
    await remove_buttons(query)
    if reading is None or reading.target.unit_id != context.who.unit_id:
        await query.answer(context.t.plain("button.expired"))
        return ConversationHandler.END
    _save(context, ReportDraft(reading.target))
    await reply(update, context.t("report.ask_enrolled", unit=reading.target.unit_name))
    return ASK_ENROLLED


async def start_note(update: Update, context: BotContext) -> int:
    """The "Khó khăn, đề xuất" button under an echo: ask for the note."""
    report_id = int_arg(callback_data(update), Action.REPORT_NOTE)
    try:
        target = own_target(context.who)
    except ReportRefused:
        await reply(update, context.t("note.refused"))
        return _clear(context)
    _save(context, ReportDraft(target, note_report_id=report_id))
    await reply(update, context.t("note.ask"))
    return ASK_NOTE


async def receive_note(update: Update, context: BotContext) -> int:
    """Attach the note to the report and send it to the officers (with "↩️ Trả lời")."""
    draft = _draft(context)
    note = " ".join((message_of(update).text or "").split())
    assert draft.note_report_id is not None
    settings = context.deps.settings
    sent = await send_note(
        context.deps.db,
        context.deps.outbox,
        draft.note_report_id,
        note,
        Reporter(context.who.user_id, display_name(update)),
        update_id=update.update_id,
        now=now_utc(),
        tz=settings.tz,
        period_kind=settings.report_period,
        buttons_for=staff_thread_buttons,
    )
    await reply(update, context.t(N_("note.saved") if sent else N_("note.refused")))
    return _clear(context)


async def cancel(update: Update, context: BotContext) -> int:
    """/huy: forget the draft."""
    await reply(update, context.t("report.cancelled"))
    return _clear(context)


async def timed_out(update: Update, context: BotContext) -> int:
    """Tell the user their unanswered question was dropped."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, context.t("report.timeout"))
    return _clear(context)


async def show_progress(update: Update, context: BotContext) -> None:
    """/tiendo [unit code] (or its button): figures, % of adults, change and recent periods."""
    t, settings = context.t, context.deps.settings
    try:
        command = await read_command(context.deps.db, context.who, context.args or [])
    except ReportRefused as refused:
        await reply(update, report_refusal(t, refused.reason))
        return
    progress = await progress_of(
        context.deps.db, command.target, now_utc(), settings.tz, settings.report_period
    )
    if progress.current is None:
        await reply(update, t("progress.none"))
        return
    await reply(update, progress_text(t, progress, settings.tz))


def build_conversation(shared: SharedState, timeout_seconds: int) -> Conversation:
    """The /baocao conversation; states are named constants above."""
    typed = typed_text()
    return Conversation(
        shared=shared,
        entry_points=[
            CommandHandler("baocao", start_report),
            MessageHandler(label_filter("baocao"), start_report),
            CallbackQueryHandler(start_report, pattern=pattern(Action.REPORT_START)),
            CallbackQueryHandler(start_note, pattern=pattern(Action.REPORT_NOTE, r"\d+")),
            CallbackQueryHandler(confirm_reading, pattern=pattern(Action.FREE_CONFIRM, r"\d+")),
            CallbackQueryHandler(edit_reading, pattern=pattern(Action.FREE_EDIT, r"\d+")),
        ],
        states={
            ASK_ENROLLED: [MessageHandler(typed, receive_enrolled)],
            ASK_COMPLETED: [
                MessageHandler(typed, receive_completed),
                CallbackQueryHandler(receive_completed, pattern=pattern(Action.REPORT_SKIP)),
            ],
            CONFIRM_DECREASE: [
                CallbackQueryHandler(confirm_decrease, pattern=pattern(Action.REPORT_CONFIRM)),
                CallbackQueryHandler(edit_figures, pattern=pattern(Action.REPORT_EDIT)),
            ],
            ASK_REASON: [MessageHandler(typed, receive_reason)],
            ASK_NOTE: [MessageHandler(typed, receive_note)],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler("huy", cancel),
            CommandHandler("baocao", start_report),
            MessageHandler(label_filter("baocao"), start_report),
        ],
        conversation_timeout=timeout_seconds,
        name="report",
    )


def register(application: BotApplication) -> None:
    """Install the report conversation and /tiendo."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(build_conversation(application.bot_data.shared_state, timeout))
    application.add_handler(CommandHandler("tiendo", show_progress))
    application.add_handler(MessageHandler(label_filter("tiendo"), show_progress))
    application.add_handler(CallbackQueryHandler(show_progress, pattern=pattern(Action.PROGRESS)))
