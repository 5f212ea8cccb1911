"""/lich: the schedules, with "▶ Chạy ngay", pause/resume, a new time, delete and add."""

from __future__ import annotations

from datetime import time

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.services.schedules.rules import Rule, RuleError, check_fires, parse_rule
from bot.services.schedules.schedules import (
    ScheduleView,
    recent_manual_run,
    schedule_view,
    schedule_views,
    trial_deadline,
)
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.drafts import ScheduleDraft
from bot.telegram.ui.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.ui.keyboards import buttons
from bot.telegram.ui.reply_keyboard import typed_text
from bot.texts import Html, Translator
from bot.texts.schedules import (
    WEEKDAYS,
    WEEKDAYS_SHORT,
    describe_rule,
    kind_label,
    rule_problem,
    schedule_text,
)
from handlers.common import callback_data, message_of, now_utc, remove_buttons
from handlers.staff import staff_only
from models import ScheduleKind
from scheduler.jobs import add, pause_or_resume, remove, retime, run_now

ASK_RULE, ASK_TEMPLATE = range(2)
DEFAULT_TEMPLATE_WORD = "-"
# The picker: days (0 = Monday … 6 = Sunday, "d" = every day), then whole hours.
EVERY_DAY = "d"
PICKER_HOURS = range(6, 22)
PICKER_HOURS_PER_ROW = 4


def _controls(t: Translator, view: ScheduleView) -> InlineKeyboardMarkup:
    """The buttons under one schedule."""
    toggle = t("schedule.button.pause") if view.enabled else t("schedule.button.resume")
    return buttons(
        [
            (t("schedule.button.run_now"), build(Action.SCHEDULE_RUN, view.schedule_id)),
            (toggle, build(Action.SCHEDULE_TOGGLE, view.schedule_id)),
        ],
        [
            (t("schedule.button.edit"), build(Action.SCHEDULE_EDIT, view.schedule_id)),
            (t("schedule.button.delete"), build(Action.SCHEDULE_DELETE, view.schedule_id)),
        ],
    )


async def _view(context: BotContext, schedule_id: int) -> ScheduleView | None:
    """One schedule as it stands now."""
    return await schedule_view(context.deps.db, schedule_id, now_utc(), context.deps.settings)


def _text(context: BotContext, view: ScheduleView) -> Html:
    """One schedule's message."""
    return schedule_text(context.t, view, context.deps.settings.tz)


async def list_schedules(update: Update, context: BotContext) -> None:
    """One message per schedule with its buttons, then "➕ Thêm"."""
    t = context.t
    views = await schedule_views(context.deps.db, now_utc(), context.deps.settings)
    message = message_of(update)
    add_button = buttons([(t("schedule.button.add"), build(Action.SCHEDULE_ADD))])
    await message.reply_text(
        t("schedule.header") if views else t("schedule.none"),
        reply_markup=None if views else add_button,
    )
    for view in views:
        await message.reply_text(_text(context, view), reply_markup=_controls(t, view))
    if views:
        await message.reply_text(t("schedule.button.add"), reply_markup=add_button)


async def press_run_now(update: Update, context: BotContext) -> None:
    """Handle "▶ Chạy ngay": the same path and audience rules as a timed firing."""
    t, settings = context.t, context.deps.settings
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_RUN)
    query = update.callback_query
    assert query is not None
    recent = await recent_manual_run(context.deps.db, schedule_id, now_utc())
    if recent is not None:  # a second press, or one whose answer was lost: not twice
        at = t.datetime(recent, settings.tz)
        await query.answer(t.plain("schedule.ran_recently", at=at), show_alert=True)
        return
    recipients = await run_now(context.app, schedule_id)
    view = await _view(context, schedule_id)
    if recipients is None or view is None:
        await query.answer(t.plain("schedule.gone"), show_alert=True)
        return
    await query.answer()
    deadline = trial_deadline(now_utc(), settings)
    if view.kind == ScheduleKind.ESCALATION and deadline is not None:
        await message_of(update).reply_text(
            t(
                "schedule.ran_trial",
                kind=kind_label(t, view.kind),
                people=recipients,
                deadline=t.datetime(deadline, settings.tz),
            )
        )
        return
    await message_of(update).reply_text(
        t("schedule.ran", kind=kind_label(t, view.kind), people=recipients)
    )


async def press_toggle(update: Update, context: BotContext) -> None:
    """Pause or resume; the job follows at once, no restart needed."""
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_TOGGLE)
    query = update.callback_query
    assert query is not None
    enabled = await pause_or_resume(context.app, schedule_id, context.who.user_id)
    view = await _view(context, schedule_id)
    if enabled is None or view is None:
        await query.answer(context.t.plain("schedule.gone"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(_text(context, view), reply_markup=_controls(context.t, view))


def _named(t: Translator, view: ScheduleView) -> dict[str, str]:
    """How a schedule is named in questions and answers: number, kind, rule."""
    return {
        "number": str(view.schedule_id),
        "kind": kind_label(t, view.kind),
        "rule": describe_rule(t, view.rule) if view.rule else view.rule_text,
    }


async def press_delete(update: Update, context: BotContext) -> None:
    """Handle "🗑 Xóa": ask first, in place, with "Xóa" and "Giữ lại"."""
    t = context.t
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_DELETE)
    query = update.callback_query
    assert query is not None
    view = await _view(context, schedule_id)
    if view is None:
        await query.answer(t.plain("schedule.gone"), show_alert=True)
        return
    await query.answer()
    confirm = buttons(
        [
            (t("schedule.button.delete_yes"), build(Action.SCHEDULE_DELETE_YES, schedule_id)),
            (t("schedule.button.keep"), build(Action.SCHEDULE_KEEP, schedule_id)),
        ]
    )
    await query.edit_message_text(t("schedule.delete_ask", **_named(t, view)), reply_markup=confirm)


async def confirm_delete(update: Update, context: BotContext) -> None:
    """Handle "Xóa": delete the schedule and its job, and say which one went."""
    t = context.t
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_DELETE_YES)
    query = update.callback_query
    assert query is not None
    view = await _view(context, schedule_id)
    if view is None or not await remove(context.app, schedule_id, context.who.user_id):
        await query.answer(t.plain("schedule.gone"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(t("schedule.deleted", **_named(t, view)))


async def keep_schedule(update: Update, context: BotContext) -> None:
    """Handle "Giữ lại": put the schedule and its buttons back."""
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_KEEP)
    query = update.callback_query
    assert query is not None
    view = await _view(context, schedule_id)
    if view is None:
        await query.answer(context.t.plain("schedule.gone"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(_text(context, view), reply_markup=_controls(context.t, view))


def _day_picker(t: Translator) -> InlineKeyboardMarkup:
    """The first step of the picker: a day of the week, or every day."""
    days = [
        (t.plain(WEEKDAYS_SHORT[day]), build(Action.SCHEDULE_PICK_DAY, day)) for day in range(7)
    ]
    return buttons(
        days[:4],
        days[4:],
        [(t("schedule.pick.every_day"), build(Action.SCHEDULE_PICK_DAY, EVERY_DAY))],
    )


async def _ask_rule(update: Update, context: BotContext) -> None:
    """Ask for the rule: typed as people say it, or picked with buttons."""
    await message_of(update).reply_text(
        context.t("schedule.ask_rule"), reply_markup=_day_picker(context.t)
    )


async def start_edit(update: Update, context: BotContext) -> int:
    """Handle "✏️ Sửa giờ": ask for the new rule."""
    context.drafts.schedule = ScheduleDraft(int_arg(callback_data(update), Action.SCHEDULE_EDIT))
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _ask_rule(update, context)
    return ASK_RULE


async def start_add(update: Update, context: BotContext) -> int:
    """Handle "➕ Thêm": choose the kind first."""
    t = context.t
    query = update.callback_query
    assert query is not None
    await query.answer()
    choices = buttons(
        *[[(kind_label(t, kind), build(Action.SCHEDULE_KIND, kind.value))] for kind in ScheduleKind]
    )
    await message_of(update).reply_text(t("schedule.ask_kind"), reply_markup=choices)
    return ASK_RULE


async def choose_kind(update: Update, context: BotContext) -> int:
    """Remember the kind, then ask for the rule."""
    [kind] = args_of(callback_data(update), Action.SCHEDULE_KIND)
    context.drafts.schedule = ScheduleDraft(None, ScheduleKind(kind))
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _ask_rule(update, context)
    return ASK_RULE


async def pick_day(update: Update, context: BotContext) -> int:
    """The picker's second step: the hours of the chosen day."""
    t = context.t
    [day] = args_of(callback_data(update), Action.SCHEDULE_PICK_DAY)
    query = update.callback_query
    assert query is not None
    await query.answer()
    hours = [
        (f"{hour:02d}:00", build(Action.SCHEDULE_PICK_HOUR, day, hour)) for hour in PICKER_HOURS
    ]
    rows = [hours[i : i + PICKER_HOURS_PER_ROW] for i in range(0, len(hours), PICKER_HOURS_PER_ROW)]
    label = t.plain("schedule.pick.every_day") if day == EVERY_DAY else t.plain(WEEKDAYS[int(day)])
    await query.edit_message_text(t("schedule.pick.hour", day=label), reply_markup=buttons(*rows))
    return ASK_RULE


async def pick_hour(update: Update, context: BotContext) -> int:
    """The picker's last step: the rule is the chosen day at the chosen hour."""
    day, hour = args_of(callback_data(update), Action.SCHEDULE_PICK_HOUR)
    query = update.callback_query
    assert query is not None
    await query.answer()
    at = time(int(hour), 0)
    rule = Rule("daily", at) if day == EVERY_DAY else Rule("weekly", at, weekdays=(int(day),))
    await remove_buttons(query)  # a second press finds them gone already
    return await _apply_rule(update, context, rule.serialise())


async def receive_rule(update: Update, context: BotContext) -> int:
    """Read and check a typed rule."""
    try:
        rule = parse_rule(message_of(update).text or "")
        check_fires(rule, now_utc(), context.deps.settings.tz)
    except RuleError as error:
        await message_of(update).reply_text(rule_problem(context.t, error.reason))
        return ASK_RULE
    return await _apply_rule(update, context, rule.serialise())


async def _apply_rule(update: Update, context: BotContext, rule: str) -> int:
    """Save an edit (repeating the schedule and its next firing), or go on to the template."""
    draft = context.drafts.schedule
    if draft is None:
        return ConversationHandler.END
    if draft.schedule_id is not None:
        context.drafts.schedule = None
        changed = await retime(context.app, draft.schedule_id, rule, context.who.user_id)
        await _show_saved(update, context, draft.schedule_id if changed else None)
        return ConversationHandler.END
    context.drafts.schedule = ScheduleDraft(None, draft.kind, rule)
    await message_of(update).reply_text(context.t("schedule.ask_template"))
    return ASK_TEMPLATE


async def _show_saved(update: Update, context: BotContext, schedule_id: int | None) -> None:
    """Say it is saved, with the schedule as it now stands and its next firing."""
    view = await _view(context, schedule_id) if schedule_id is not None else None
    if view is None:
        await message_of(update).reply_text(context.t("schedule.gone"))
        return
    await message_of(update).reply_text(
        context.t("schedule.saved", schedule=_text(context, view)),
        reply_markup=_controls(context.t, view),
    )


async def receive_template(update: Update, context: BotContext) -> int:
    """Create the new schedule and register its job."""
    draft = context.drafts.schedule
    context.drafts.schedule = None
    assert draft is not None and draft.kind is not None and draft.rule is not None
    text = (message_of(update).text or "").strip()
    template = "" if text == DEFAULT_TEMPLATE_WORD else text
    schedule_id = await add(context.app, draft.kind, draft.rule, template, context.who.user_id)
    await _show_saved(update, context, schedule_id)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """/huy while editing a schedule."""
    context.drafts.schedule = None
    await message_of(update).reply_text(context.t("cancel.done"))
    return ConversationHandler.END


def register(application: BotApplication) -> None:
    """Install /lich and its buttons."""
    typed = typed_text()
    application.add_handler(CommandHandler("lich", list_schedules))
    application.add_handler(
        CallbackQueryHandler(press_run_now, pattern=pattern(Action.SCHEDULE_RUN, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(press_toggle, pattern=pattern(Action.SCHEDULE_TOGGLE, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(press_delete, pattern=pattern(Action.SCHEDULE_DELETE, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(confirm_delete, pattern=pattern(Action.SCHEDULE_DELETE_YES, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(keep_schedule, pattern=pattern(Action.SCHEDULE_KEEP, r"\d+"))
    )
    conversation = Conversation(
        shared=application.bot_data.shared_state,
        entry_points=[
            CallbackQueryHandler(start_edit, pattern=pattern(Action.SCHEDULE_EDIT, r"\d+")),
            CallbackQueryHandler(start_add, pattern=pattern(Action.SCHEDULE_ADD)),
        ],
        states={
            ASK_RULE: [
                MessageHandler(typed, receive_rule),
                CallbackQueryHandler(choose_kind, pattern=pattern(Action.SCHEDULE_KIND, "[a-z]+")),
                CallbackQueryHandler(
                    pick_day, pattern=pattern(Action.SCHEDULE_PICK_DAY, "([0-6]|d)")
                ),
                CallbackQueryHandler(
                    pick_hour, pattern=pattern(Action.SCHEDULE_PICK_HOUR, r"([0-6]|d):\d{1,2}")
                ),
            ],
            ASK_TEMPLATE: [MessageHandler(typed, receive_template)],
        },
        fallbacks=[CommandHandler("huy", cancel)],
        conversation_timeout=application.bot_data.settings.conversation_timeout_seconds,
        name="schedule",
    )
    # A demoted officer cannot finish an edit started before (handlers/staff.py).
    application.add_handler(staff_only(conversation, command="lich", slot="schedule"))
