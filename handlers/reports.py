"""/baocao (report figures, by command or by questions), /tiendo, and the report buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.context import BotApplication, BotContext
from bot.formatting import escape, format_local_datetime, format_number, format_percent
from bot.keyboards import REPORT_START
from bot.services.numbers import NumberRefusal, parse_count, split_figures
from bot.services.report_submission import Request, Submission
from bot.services.reports import (
    Figures,
    PeriodFigure,
    Progress,
    Reporter,
    ReportRefused,
    Target,
    attach_note,
    resolve_target,
    unit_progress,
    validate_figures,
)
from bot.services.units import find_unit
from handlers.common import display_name, message_of, now_utc, reply
from models import Report

ASK_ENROLLED, ASK_COMPLETED, CONFIRM_DECREASE, ASK_REASON, ASK_NOTE = range(5)
DRAFT_KEY = "report_draft"
SKIP_DATA = "report:skip"
CONFIRM_DATA = "report:confirm"
EDIT_DATA = "report:edit"
NOTE_PREFIX = "report:note:"
MAX_REASON = 300
BAR_WIDTH = 10
UNIT_CODE_ARG = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Draft:
    """A report being put together in the conversation."""

    target: Target
    enrolled: int | None = None
    completed: int | None = None
    note_report_id: int | None = None


def _draft(context: BotContext) -> Draft:
    """The conversation's draft."""
    draft = context.user_data.get(DRAFT_KEY) if context.user_data is not None else None
    assert isinstance(draft, Draft)
    return draft


def _save(context: BotContext, draft: Draft) -> None:
    """Keep the draft between questions."""
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft


def _clear(context: BotContext) -> int:
    """Forget the draft and end the conversation."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
    return ConversationHandler.END


async def _split_unit_code(context: BotContext, args: list[str]) -> tuple[str | None, str]:
    """Tell "/baocao T01 120 45" (a unit code first) from "/baocao một trăm"."""
    if args and UNIT_CODE_ARG.match(args[0]):
        async with context.deps.session_factory() as session:
            if await find_unit(session, args[0]) is not None:
                return args[0], " ".join(args[1:])
    return None, " ".join(args)


def _figures_from_text(text: str) -> Figures:
    """Read "120", "120 45" or "1 250, 45" into figures."""
    pieces = split_figures(text)
    if len(pieces) > 2:
        raise NumberRefusal(texts.TOO_MANY_FIGURES)
    enrolled = parse_count(pieces[0])
    completed = parse_count(pieces[1]) if len(pieces) == 2 else None
    return Figures(enrolled, completed)


async def start_report(update: Update, context: BotContext) -> int:
    """/baocao [unit code] [enrolled] [completed], or the "📝 Báo cáo" button."""
    code, numbers = await _split_unit_code(context, context.args or [])
    async with context.deps.session_factory() as session:
        try:
            target = await resolve_target(session, context.who, code)
        except ReportRefused as refused:
            await reply(update, refused.reason)
            return _clear(context)
    draft = Draft(target)
    if not numbers.strip():
        _save(context, draft)
        await reply(update, texts.ask_enrolled(escape(target.unit_name)))
        return ASK_ENROLLED
    try:
        figures = _figures_from_text(numbers)
        validate_figures(figures, target.adults)
    except NumberRefusal as refusal:
        await reply(update, f"❌ {refusal.reason}")
        return _clear(context)
    return await _finish(
        update, context, replace(draft, enrolled=figures.enrolled, completed=figures.completed)
    )


async def receive_enrolled(update: Update, context: BotContext) -> int:
    """Read the enrolled figure, then ask for completed."""
    draft = _draft(context)
    try:
        enrolled = parse_count(message_of(update).text or "")
        validate_figures(Figures(enrolled), draft.target.adults)
    except NumberRefusal as refusal:
        await reply(update, texts.retry(refusal.reason))
        return ASK_ENROLLED
    _save(context, replace(draft, enrolled=enrolled))
    skip = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.SKIP_BUTTON, callback_data=SKIP_DATA)]]
    )
    await reply(update, texts.ASK_COMPLETED, skip)
    return ASK_COMPLETED


async def receive_completed(update: Update, context: BotContext) -> int:
    """Read the completed figure (or "Bỏ qua"), then record or ask about a decrease."""
    draft = _draft(context)
    assert draft.enrolled is not None
    completed = None
    if update.callback_query is None:
        try:
            completed = parse_count(message_of(update).text or "")
            validate_figures(Figures(draft.enrolled, completed), draft.target.adults)
        except NumberRefusal as refusal:
            await reply(update, texts.retry(refusal.reason))
            return ASK_COMPLETED
    return await _finish(update, context, replace(draft, completed=completed))


async def _finish(update: Update, context: BotContext, draft: Draft) -> int:
    """Record the draft, unless it lowers the figures: then ask for confirmation first."""
    submission = await _submit(update, context, draft, reason=None)
    if submission.needs_confirmation:
        assert submission.previous is not None and draft.enrolled is not None
        _save(context, draft)
        await _ask_decrease(update, submission.previous, Figures(draft.enrolled, draft.completed))
        return CONFIRM_DECREASE
    await _echo(update, submission, draft.target.on_behalf)
    return _clear(context)


async def _ask_decrease(update: Update, previous: Report, figures: Figures) -> None:
    """Show old and new values with "Xác nhận" / "Sửa"."""
    old_done = format_number(previous.completed) if previous.completed is not None else None
    new_done = format_number(figures.completed) if figures.completed is not None else None
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.CONFIRM_BUTTON, callback_data=CONFIRM_DATA),
                InlineKeyboardButton(texts.EDIT_BUTTON, callback_data=EDIT_DATA),
            ]
        ]
    )
    text = texts.confirm_decrease(
        format_number(previous.enrolled), format_number(figures.enrolled), old_done, new_done
    )
    await reply(update, text, buttons)


async def confirm_decrease(update: Update, context: BotContext) -> int:
    """Handle "Xác nhận": ask for the short reason."""
    await reply(update, texts.ASK_REASON)
    return ASK_REASON


async def edit_figures(update: Update, context: BotContext) -> int:
    """Handle "Sửa": start the questions again."""
    draft = _draft(context)
    _save(context, Draft(draft.target))
    await reply(update, texts.ask_enrolled(escape(draft.target.unit_name)))
    return ASK_ENROLLED


async def receive_reason(update: Update, context: BotContext) -> int:
    """Store the confirmed lower figures as a correction with its reason."""
    reason = " ".join((message_of(update).text or "").split())
    if not reason or len(reason) > MAX_REASON:
        await reply(update, texts.REASON_TOO_LONG)
        return ASK_REASON
    draft = _draft(context)
    await _echo(
        update, await _submit(update, context, draft, reason=reason), draft.target.on_behalf
    )
    return _clear(context)


async def _submit(
    update: Update, context: BotContext, draft: Draft, *, reason: str | None
) -> Submission:
    """Hand the figures to the report writer and wait until they are committed."""
    assert draft.enrolled is not None
    request = Request(
        target=draft.target,
        figures=Figures(draft.enrolled, draft.completed),
        reporter=Reporter(context.who.user_id, display_name(update)),
        update_id=update.update_id,
        now=now_utc(),
        correction_reason=reason,
    )
    return await context.deps.report_writer.submit(request)


async def _echo(update: Update, submission: Submission, on_behalf: bool) -> None:
    """Repeat back exactly what was stored, with the note button."""
    echo, report = submission.echo, submission.report
    assert echo is not None and report is not None
    text = texts.report_echo(
        escape(echo.unit_name),
        format_number(echo.enrolled),
        echo.change,
        format_number(echo.completed) if echo.completed is not None else None,
        format_percent(echo.percent) if echo.percent is not None else None,
        echo.period.label,
        correction=echo.is_correction,
        on_behalf=on_behalf,
    )
    note = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.NOTE_BUTTON, callback_data=f"{NOTE_PREFIX}{report.id}")]]
    )
    await reply(update, text, note)


async def start_note(update: Update, context: BotContext) -> int:
    """The "Khó khăn, đề xuất" button under an echo: ask for the note."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    report_id = int(query.data.removeprefix(NOTE_PREFIX))
    async with context.deps.session_factory() as session:
        target = await resolve_target(session, context.who, None) if context.who.unit_id else None
    if target is None:
        await reply(update, texts.NOTE_REFUSED)
        return _clear(context)
    _save(context, Draft(target, note_report_id=report_id))
    await reply(update, texts.ASK_NOTE)
    return ASK_NOTE


async def receive_note(update: Update, context: BotContext) -> int:
    """Attach the note to the report."""
    draft = _draft(context)
    note = " ".join((message_of(update).text or "").split())
    assert draft.note_report_id is not None
    async with context.deps.session_factory.begin() as session:
        saved = await attach_note(session, draft.note_report_id, note, context.who.user_id)
    await reply(update, texts.NOTE_SAVED if saved else texts.NOTE_REFUSED)
    return _clear(context)


async def cancel(update: Update, context: BotContext) -> int:
    """/huy: forget the draft."""
    await reply(update, texts.REPORT_CANCELLED)
    return _clear(context)


async def timed_out(update: Update, context: BotContext) -> int:
    """Tell the user their unanswered question was dropped."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, texts.REPORT_TIMEOUT)
    return _clear(context)


async def show_progress(update: Update, context: BotContext) -> None:
    """/tiendo [unit code]: current figures, % of adults, change and the last 6 periods."""
    settings = context.deps.settings
    code, _ = await _split_unit_code(context, context.args or [])
    async with context.deps.session_factory() as session:
        try:
            target = await resolve_target(session, context.who, code)
        except ReportRefused as refused:
            await message_of(update).reply_text(refused.reason)
            return
        progress = await unit_progress(
            session, target.unit_id, now_utc(), settings.tz, settings.report_period
        )
    if progress.current is None:
        await message_of(update).reply_text(texts.NO_REPORT_YET)
        return
    await message_of(update).reply_text(_progress_text(progress, settings.tz))


def _progress_text(progress: Progress, tz: ZoneInfo) -> str:
    """Render /tiendo."""
    current = progress.current
    assert current is not None
    percent = 100 * current.enrolled / progress.adults if progress.adults else None
    return texts.progress_text(
        escape(progress.unit_name),
        format_number(current.enrolled),
        format_number(progress.adults) if progress.adults else None,
        format_percent(percent) if percent is not None else None,
        format_number(current.completed) if current.completed is not None else None,
        format_local_datetime(current.reported_at, tz),
        _period_change(progress.history),
        "\n".join(_history_rows(progress)),
    )


def _history_rows(progress: Progress) -> list[str]:
    """One bar per period: ▇ filled in proportion to adults (or to the best period)."""
    scale = progress.adults or max((h.enrolled or 0) for h in progress.history) or 1
    rows = []
    for item in progress.history:
        filled = min(BAR_WIDTH, round(BAR_WIDTH * (item.enrolled or 0) / scale))
        bar = "▇" * filled + "░" * (BAR_WIDTH - filled)
        shown = format_number(item.enrolled) if item.enrolled is not None else "—"
        mark = "✓" if item.reported else "–"
        rows.append(f"{item.period.first_day:%d/%m} {bar} {shown} {mark}")
    return rows


def _period_change(history: list[PeriodFigure]) -> str | None:
    """Describe the change between the last two periods, e.g. "tăng 15"."""
    last, before = history[-1], history[-2]
    if last.enrolled is None or before.enrolled is None:
        return None
    delta = last.enrolled - before.enrolled
    if delta == 0:
        return "không đổi"
    return f"{'tăng' if delta > 0 else 'giảm'} {format_number(abs(delta))}"


def build_conversation(timeout_seconds: int) -> ConversationHandler[BotContext]:
    """The /baocao conversation; states are named constants above."""
    number_reply = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[
            CommandHandler("baocao", start_report),
            CallbackQueryHandler(start_report, pattern=f"^{REPORT_START}$"),
            CallbackQueryHandler(start_note, pattern=f"^{NOTE_PREFIX}\\d+$"),
        ],
        states={
            ASK_ENROLLED: [MessageHandler(number_reply, receive_enrolled)],
            ASK_COMPLETED: [
                MessageHandler(number_reply, receive_completed),
                CallbackQueryHandler(receive_completed, pattern=f"^{SKIP_DATA}$"),
            ],
            CONFIRM_DECREASE: [
                CallbackQueryHandler(confirm_decrease, pattern=f"^{CONFIRM_DATA}$"),
                CallbackQueryHandler(edit_figures, pattern=f"^{EDIT_DATA}$"),
            ],
            ASK_REASON: [MessageHandler(number_reply, receive_reason)],
            ASK_NOTE: [MessageHandler(number_reply, receive_note)],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[CommandHandler("huy", cancel), CommandHandler("baocao", start_report)],
        conversation_timeout=timeout_seconds,
        allow_reentry=True,
        name="report",
    )


def register(application: BotApplication) -> None:
    """Install the report conversation and /tiendo."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(build_conversation(timeout))
    application.add_handler(CommandHandler("tiendo", show_progress))
