"""/lich: the schedules, with "▶ Chạy ngay", pause/resume, a new time, delete and add."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.context import BotApplication, BotContext
from bot.formatting import escape, format_local_datetime
from bot.services.audience import STAFF
from bot.services.audit import record_event
from bot.services.schedule_rules import RuleError, parse_rule
from bot.services.schedules import last_runs, plan
from handlers.common import message_of, now_utc
from models import Schedule, ScheduleKind
from scheduler.jobs import run_now, sync_schedule

ASK_RULE, ASK_TEMPLATE = range(2)
DRAFT_KEY = "schedule_draft"


@dataclass(frozen=True)
class ScheduleDraft:
    """What /lich is editing: an existing schedule's rule, or a new schedule."""

    schedule_id: int | None
    kind: ScheduleKind | None = None
    rule: str | None = None


def _controls(schedule: Schedule) -> InlineKeyboardMarkup:
    """The buttons under one schedule."""
    toggle = texts.BUTTON_PAUSE if schedule.enabled else texts.BUTTON_RESUME
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.BUTTON_RUN_NOW, callback_data=f"sched:run:{schedule.id}"
                ),
                InlineKeyboardButton(toggle, callback_data=f"sched:toggle:{schedule.id}"),
            ],
            [
                InlineKeyboardButton(
                    texts.BUTTON_EDIT_TIME, callback_data=f"sched:edit:{schedule.id}"
                ),
                InlineKeyboardButton(texts.BUTTON_DELETE, callback_data=f"sched:del:{schedule.id}"),
            ],
        ]
    )


async def _describe(context: BotContext, schedule: Schedule) -> str:
    """One schedule's line: rule, state, next firing and last run."""
    settings = context.deps.settings
    now = now_utc()
    async with context.deps.read_session_factory() as session:
        _, following = await plan(session, schedule, now, settings, record_skips=False)
        run = (await last_runs(session)).get(schedule.id)
        last = "—"
        if run is not None:
            when = format_local_datetime(run.fire_time, settings.tz)[:16]
            last = f"{when} ({texts.RUN_STATUS[run.status.value]})"
    next_time = format_local_datetime(following.send_at, settings.tz)[:16] if following else "—"
    try:
        rule = parse_rule(schedule.rule).describe()
    except RuleError:
        rule = escape(schedule.rule)
    state = texts.STATUS_ON if schedule.enabled else texts.STATUS_OFF
    return texts.schedule_line(schedule.id, schedule.kind.value, rule, state, next_time, last)


async def list_schedules(update: Update, context: BotContext) -> None:
    """One message per schedule with its buttons, then "➕ Thêm"."""
    async with context.deps.read_session_factory() as session:
        schedules = list(await session.scalars(select(Schedule).order_by(Schedule.id)))
    message = message_of(update)
    add = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BUTTON_ADD, callback_data="sched:add")]]
    )
    await message.reply_text(
        texts.SCHEDULES_HEADER if schedules else texts.NO_SCHEDULES,
        reply_markup=None if schedules else add,
    )
    for schedule in schedules:
        await message.reply_text(
            await _describe(context, schedule), reply_markup=_controls(schedule)
        )
    if schedules:
        await message.reply_text(texts.BUTTON_ADD, reply_markup=add)


def _schedule_id(update: Update, prefix: str) -> int:
    """The id in "sched:<action>:<id>"."""
    query = update.callback_query
    assert query is not None and query.data is not None
    return int(query.data.removeprefix(prefix))


async def press_run_now(update: Update, context: BotContext) -> None:
    """Handle "▶ Chạy ngay": the same path and audience rules as a timed firing."""
    schedule_id = _schedule_id(update, "sched:run:")
    query = update.callback_query
    assert query is not None
    recipients = await run_now(context.application, schedule_id)  # type: ignore[arg-type]
    if recipients is None:
        await query.answer(texts.SCHEDULE_GONE, show_alert=True)
        return
    await query.answer()
    async with context.deps.read_session_factory() as session:
        schedule = await session.get(Schedule, schedule_id)
    label = texts.SCHEDULE_KIND_LABELS[schedule.kind.value] if schedule else ""
    await message_of(update).reply_text(texts.ran_now(label, recipients))


async def press_toggle(update: Update, context: BotContext) -> None:
    """Pause or resume; the job follows at once, no restart needed."""
    schedule_id = _schedule_id(update, "sched:toggle:")
    query = update.callback_query
    assert query is not None
    async with context.deps.session_factory.begin() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is None:
            await query.answer(texts.SCHEDULE_GONE, show_alert=True)
            return
        schedule.enabled = not schedule.enabled
        record_event(
            session,
            context.who.user_id,
            "schedule.toggled",
            schedule_id=schedule_id,
            enabled=schedule.enabled,
        )
    await sync_schedule(context.application, schedule_id)  # type: ignore[arg-type]
    await query.answer()
    await query.edit_message_text(
        await _describe(context, schedule), reply_markup=_controls(schedule)
    )


async def press_delete(update: Update, context: BotContext) -> None:
    """Delete a schedule and its job."""
    schedule_id = _schedule_id(update, "sched:del:")
    query = update.callback_query
    assert query is not None
    async with context.deps.session_factory.begin() as session:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is not None:
            await session.delete(schedule)
            record_event(session, context.who.user_id, "schedule.deleted", schedule_id=schedule_id)
    await sync_schedule(context.application, schedule_id)  # type: ignore[arg-type]
    await query.answer()
    await query.edit_message_text(texts.SCHEDULE_DELETED)


async def start_edit(update: Update, context: BotContext) -> int:
    """Handle "✏️ Sửa giờ": ask for the new rule."""
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = ScheduleDraft(_schedule_id(update, "sched:edit:"))
    query = update.callback_query
    assert query is not None
    await query.answer()
    await message_of(update).reply_text(texts.ASK_RULE)
    return ASK_RULE


async def start_add(update: Update, context: BotContext) -> int:
    """Handle "➕ Thêm": choose the kind first."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    buttons = [
        [InlineKeyboardButton(label, callback_data=f"sched:kind:{kind}")]
        for kind, label in texts.SCHEDULE_KIND_LABELS.items()
    ]
    await message_of(update).reply_text(texts.ASK_KIND, reply_markup=InlineKeyboardMarkup(buttons))
    return ASK_RULE


async def choose_kind(update: Update, context: BotContext) -> int:
    """Remember the kind, then ask for the rule."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    context.user_data[DRAFT_KEY] = ScheduleDraft(
        None, ScheduleKind(query.data.removeprefix("sched:kind:"))
    )
    await query.answer()
    await message_of(update).reply_text(texts.ASK_RULE)
    return ASK_RULE


async def receive_rule(update: Update, context: BotContext) -> int:
    """Read and check the rule; save an edit, or go on to the template for a new one."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, ScheduleDraft):
        return ConversationHandler.END
    try:
        rule = parse_rule(message_of(update).text or "").serialise()
    except RuleError as error:
        await message_of(update).reply_text(f"❌ {error.reason}")
        return ASK_RULE
    if draft.schedule_id is not None:
        async with context.deps.session_factory.begin() as session:
            schedule = await session.get(Schedule, draft.schedule_id)
            if schedule is not None:
                schedule.rule = rule
                record_event(
                    session,
                    context.who.user_id,
                    "schedule.changed",
                    schedule_id=schedule.id,
                    rule=rule,
                )
        await sync_schedule(context.application, draft.schedule_id)  # type: ignore[arg-type]
        await message_of(update).reply_text(
            texts.SCHEDULE_SAVED if schedule else texts.SCHEDULE_GONE
        )
        context.user_data.pop(DRAFT_KEY, None)
        return ConversationHandler.END
    context.user_data[DRAFT_KEY] = ScheduleDraft(None, draft.kind, rule)
    await message_of(update).reply_text(texts.ASK_TEMPLATE)
    return ASK_TEMPLATE


async def receive_template(update: Update, context: BotContext) -> int:
    """Create the new schedule and register its job."""
    assert context.user_data is not None
    draft = context.user_data.pop(DRAFT_KEY, None)
    assert isinstance(draft, ScheduleDraft) and draft.kind is not None and draft.rule is not None
    text = (message_of(update).text or "").strip()
    audience = STAFF if draft.kind in (ScheduleKind.ESCALATION, ScheduleKind.DIGEST) else "all"
    async with context.deps.session_factory.begin() as session:
        schedule = Schedule(
            kind=draft.kind,
            rule=draft.rule,
            audience=audience,
            template="" if text == "-" else text[:3000],
            created_by=context.who.user_id,
            created_at=now_utc(),
        )
        session.add(schedule)
        await session.flush()
        record_event(session, context.who.user_id, "schedule.created", schedule_id=schedule.id)
    await sync_schedule(context.application, schedule.id)  # type: ignore[arg-type]
    await message_of(update).reply_text(texts.SCHEDULE_SAVED)
    await message_of(update).reply_text(
        await _describe(context, schedule), reply_markup=_controls(schedule)
    )
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """/huy while editing a schedule."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
    await message_of(update).reply_text(texts.CANCELLED)
    return ConversationHandler.END


def register(application: BotApplication) -> None:
    """Install /lich and its buttons."""
    typed = filters.TEXT & ~filters.COMMAND
    application.add_handler(CommandHandler("lich", list_schedules))
    application.add_handler(CallbackQueryHandler(press_run_now, pattern=r"^sched:run:\d+$"))
    application.add_handler(CallbackQueryHandler(press_toggle, pattern=r"^sched:toggle:\d+$"))
    application.add_handler(CallbackQueryHandler(press_delete, pattern=r"^sched:del:\d+$"))
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CallbackQueryHandler(start_edit, pattern=r"^sched:edit:\d+$"),
                CallbackQueryHandler(start_add, pattern="^sched:add$"),
            ],
            states={
                ASK_RULE: [
                    MessageHandler(typed, receive_rule),
                    CallbackQueryHandler(choose_kind, pattern="^sched:kind:[a-z]+$"),
                ],
                ASK_TEMPLATE: [MessageHandler(typed, receive_template)],
            },
            fallbacks=[CommandHandler("huy", cancel)],
            conversation_timeout=application.bot_data.settings.conversation_timeout_seconds,
            allow_reentry=True,
            name="schedule",
        )
    )
