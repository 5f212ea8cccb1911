"""/lich: the schedules, with "▶ Chạy ngay", pause/resume, a new time, delete and add."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.services.schedules.rules import RuleError, parse_rule
from bot.services.schedules.schedules import ScheduleView, schedule_view, schedule_views
from bot.telegram.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.drafts import ScheduleDraft
from bot.telegram.keyboards import buttons
from bot.texts import N_, Html, Translator
from bot.texts.schedules import kind_label, rule_problem, schedule_text
from handlers.common import callback_data, message_of, now_utc
from handlers.staff import staff_only
from models import ScheduleKind
from scheduler.jobs import add, pause_or_resume, remove, retime, run_now

ASK_RULE, ASK_TEMPLATE = range(2)
DEFAULT_TEMPLATE_WORD = "-"


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
    t = context.t
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_RUN)
    query = update.callback_query
    assert query is not None
    recipients = await run_now(context.app, schedule_id)
    view = await _view(context, schedule_id)
    if recipients is None or view is None:
        await query.answer(t.plain("schedule.gone"), show_alert=True)
        return
    await query.answer()
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


async def press_delete(update: Update, context: BotContext) -> None:
    """Delete a schedule and its job."""
    schedule_id = int_arg(callback_data(update), Action.SCHEDULE_DELETE)
    query = update.callback_query
    assert query is not None
    await remove(context.app, schedule_id, context.who.user_id)
    await query.answer()
    await query.edit_message_text(context.t("schedule.deleted"))


async def start_edit(update: Update, context: BotContext) -> int:
    """Handle "✏️ Sửa giờ": ask for the new rule."""
    context.drafts.schedule = ScheduleDraft(int_arg(callback_data(update), Action.SCHEDULE_EDIT))
    query = update.callback_query
    assert query is not None
    await query.answer()
    await message_of(update).reply_text(context.t("schedule.ask_rule"))
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
    await message_of(update).reply_text(context.t("schedule.ask_rule"))
    return ASK_RULE


async def receive_rule(update: Update, context: BotContext) -> int:
    """Read and check the rule; save an edit, or go on to the template for a new one."""
    draft = context.drafts.schedule
    if draft is None:
        return ConversationHandler.END
    try:
        rule = parse_rule(message_of(update).text or "").serialise()
    except RuleError as error:
        await message_of(update).reply_text(rule_problem(context.t, error.reason))
        return ASK_RULE
    if draft.schedule_id is not None:
        changed = await retime(context.app, draft.schedule_id, rule, context.who.user_id)
        await message_of(update).reply_text(
            context.t(N_("schedule.saved") if changed else N_("schedule.gone"))
        )
        context.drafts.schedule = None
        return ConversationHandler.END
    context.drafts.schedule = ScheduleDraft(None, draft.kind, rule)
    await message_of(update).reply_text(context.t("schedule.ask_template"))
    return ASK_TEMPLATE


async def receive_template(update: Update, context: BotContext) -> int:
    """Create the new schedule and register its job."""
    draft = context.drafts.schedule
    context.drafts.schedule = None
    assert draft is not None and draft.kind is not None and draft.rule is not None
    text = (message_of(update).text or "").strip()
    template = "" if text == DEFAULT_TEMPLATE_WORD else text
    schedule_id = await add(context.app, draft.kind, draft.rule, template, context.who.user_id)
    await message_of(update).reply_text(context.t("schedule.saved"))
    view = await _view(context, schedule_id)
    if view is not None:
        await message_of(update).reply_text(
            _text(context, view), reply_markup=_controls(context.t, view)
        )
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """/huy while editing a schedule."""
    context.drafts.schedule = None
    await message_of(update).reply_text(context.t("cancel.done"))
    return ConversationHandler.END


def register(application: BotApplication) -> None:
    """Install /lich and its buttons."""
    typed = filters.TEXT & ~filters.COMMAND
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
        staff_only(
            ConversationHandler(
                entry_points=[
                    CallbackQueryHandler(start_edit, pattern=pattern(Action.SCHEDULE_EDIT, r"\d+")),
                    CallbackQueryHandler(start_add, pattern=pattern(Action.SCHEDULE_ADD)),
                ],
                states={
                    ASK_RULE: [
                        MessageHandler(typed, receive_rule),
                        CallbackQueryHandler(
                            choose_kind, pattern=pattern(Action.SCHEDULE_KIND, "[a-z]+")
                        ),
                    ],
                    ASK_TEMPLATE: [MessageHandler(typed, receive_template)],
                },
                fallbacks=[CommandHandler("huy", cancel)],
                conversation_timeout=application.bot_data.settings.conversation_timeout_seconds,
                allow_reentry=True,
                name="schedule",
            ),
            command="lich",
            slot="schedule",
        )
    )
