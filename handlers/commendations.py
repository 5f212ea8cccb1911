"""/bieuduong: the period's commendation list, edited by the officer, sent to every unit."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.documents.report_table import Signatures
from bot.services.recognition.commendations import (
    CURRENT,
    PREVIOUS,
    Achievement,
    Proposal,
    Sheet,
    candidate_values,
    commendation_view,
    period_for,
    period_starting,
    send_commendation,
)
from bot.services.registry.units import unit_ids_and_names
from bot.services.reports.periods import Period
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.drafts import CommendationDraft
from bot.telegram.ui.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.ui.keyboards import buttons
from bot.texts import Html, Translator
from bot.texts.recognition import commend_lines, threshold_text
from handlers.common import callback_data, message_of, now_utc, remove_buttons
from handlers.picker import PickerActions, picker_keyboard, redraw_picker
from handlers.province import scope_name, speaker
from handlers.province_commend import send_province_list, show_province_commendation

PICKER = PickerActions(Action.COMMEND_PICK, Action.COMMEND_PAGE, Action.COMMEND_PICKED)
MAX_TEXT = 4096
# Room kept for the "… and N more units" line.
MORE_ROOM = 120
# Telegram shows up to 100 buttons: "➖" goes under the first units only (a longer list is
# edited through "➕ Thêm đơn vị", whose picker ticks and unticks any unit).
MAX_REMOVE_BUTTONS = 40


def _period(context: BotContext, draft: CommendationDraft) -> Period:
    """The period a draft is about."""
    return period_starting(draft.period_first, context.deps.settings.report_period)


async def _view(context: BotContext, draft: CommendationDraft | None, which: str) -> Proposal:
    """The proposal (no draft yet, or another period) or the draft's edited list."""
    settings = context.deps.settings
    if draft is None:
        period = period_for(now_utc(), settings.report_period, settings.tz, which)
        unit_ids = None
    else:
        period, unit_ids = _period(context, draft), draft.unit_ids
    return await commendation_view(
        context.deps.db,
        period,
        settings.tz,
        unit_ids,
        target_percent=settings.target_percent,
        top=settings.commend_top,
        reasons=dict(draft.reasons) if draft else {},
    )


async def view_of(context: BotContext, draft: CommendationDraft) -> Proposal:
    """The draft's list as it stands, with fresh figures."""
    return await _view(context, draft, draft.which)


def _rule_text(t: Translator, context: BotContext) -> str:
    """How the list is chosen (the PDF prints the same words)."""
    settings = context.deps.settings
    return t.plain(
        "commend.rule",
        top=settings.commend_top,
        target=threshold_text(t, settings.target_percent),
    )


def _text(context: BotContext, proposal: Proposal, which: str) -> Html:
    """The list with each unit's achievements, the rule, and whether it was already sent."""
    t, settings = context.t, context.deps.settings
    lines: list[str] = [t("commend.title", period=proposal.period.label)]
    if which == CURRENT:
        lines.append(t("commend.current_note"))
    if proposal.sent_at is not None:
        lines.append(t("commend.sent_before", when=t.datetime(proposal.sent_at, settings.tz)))
    lines.append("")
    rule = t("commend.rule_shown", rule=_rule_text(t, context))
    units = [candidate_values(candidate) for candidate in proposal.candidates]
    if not units:
        lines.append(t("commend.none"))
    # One message holds the list: past Telegram's limit, the rest is named by count (the PDF
    # and the message units receive, cut into parts, list every unit).
    room = MAX_TEXT - len(rule) - sum(len(line) + 1 for line in lines) - MORE_ROOM
    for shown, line in enumerate(commend_lines(t, units, settings.target_percent)):
        room -= len(line) + 1
        if room < 0:
            lines.append(t("commend.more", count=len(units) - shown))
            break
        lines.append(line)
    lines += ["", rule]
    return Html("\n".join(lines))


def _controls(t: Translator, proposal: Proposal, which: str) -> InlineKeyboardMarkup:
    """Per unit "➖" (and "✏️ Lý do" if added by hand), "➕", the other period, PDF, send."""
    shown = proposal.candidates[:MAX_REMOVE_BUTTONS]
    removable = [
        (
            t.plain("commend.button.remove", unit=c.facts.name),
            build(Action.COMMEND_REMOVE, c.facts.unit_id),
        )
        for c in shown
    ]
    reasons = [
        [
            (
                t.plain("commend.button.reason", unit=c.facts.name),
                build(Action.COMMEND_REASON, c.facts.unit_id),
            )
        ]
        for c in shown
        if c.merits[0].achievement == Achievement.PROPOSED
    ]
    other = (
        (t("commend.button.previous"), build(Action.COMMEND_PERIOD, PREVIOUS))
        if which == CURRENT
        else (t("commend.button.current"), build(Action.COMMEND_PERIOD, CURRENT))
    )
    return buttons(
        *[removable[i : i + 2] for i in range(0, len(removable), 2)],
        *reasons,
        [(t("commend.button.add"), build(Action.COMMEND_ADD)), other],
        [(t("commend.button.pdf"), build(Action.COMMEND_PDF))],
        [
            (t("commend.button.send"), build(Action.COMMEND_SEND)),
            (t("commend.button.cancel"), build(Action.COMMEND_CANCEL)),
        ],
    )


async def show_again(update: Update, context: BotContext, draft: CommendationDraft) -> None:
    """The list as a new message under a typed answer; the old one loses its buttons."""
    if draft.controls_message_id is not None:
        with contextlib.suppress(BadRequest):
            await context.bot.edit_message_reply_markup(
                message_of(update).chat_id, draft.controls_message_id, reply_markup=None
            )
    proposal = await _view(context, draft, draft.which)
    sent = await message_of(update).reply_text(
        _text(context, proposal, draft.which),
        reply_markup=_controls(context.t, proposal, draft.which),
    )
    context.drafts.commendation = replace(draft, controls_message_id=sent.message_id)


def _draft_of(proposal: Proposal, which: str, message_id: int | None) -> CommendationDraft:
    """Remember the list shown, so edits and "📤 Gửi biểu dương" use exactly it."""
    return CommendationDraft(
        period_first=proposal.period.first_day,
        which=which,
        unit_ids=tuple(c.facts.unit_id for c in proposal.candidates),
        controls_message_id=message_id,
    )


async def start_commendation(update: Update, context: BotContext) -> None:
    """/bieuduong: the list the figures propose for the current period (a province's: communes)."""
    if (await speaker(context))[1] is not None:
        await show_province_commendation(update, context)
        return
    t = context.t
    previous = context.drafts.commendation
    if previous is not None and previous.controls_message_id is not None:
        with contextlib.suppress(BadRequest):
            await context.bot.edit_message_reply_markup(
                message_of(update).chat_id, previous.controls_message_id, reply_markup=None
            )
    proposal = await _view(context, None, CURRENT)
    sent = await message_of(update).reply_text(
        _text(context, proposal, CURRENT), reply_markup=_controls(t, proposal, CURRENT)
    )
    context.drafts.commendation = _draft_of(proposal, CURRENT, sent.message_id)


async def current_draft(update: Update, context: BotContext) -> CommendationDraft | None:
    """The draft, if the button pressed is under its live message; else say it expired."""
    query = update.callback_query
    assert query is not None
    draft = context.drafts.commendation
    if (
        draft is None
        or query.message is None
        or query.message.message_id != draft.controls_message_id
    ):
        await query.answer(context.t.plain("button.expired"))
        await remove_buttons(query)
        return None
    return draft


async def _redraw(update: Update, context: BotContext, draft: CommendationDraft) -> None:
    """Show the draft's list again in the same message."""
    query = update.callback_query
    assert query is not None
    proposal = await _view(context, draft, draft.which)
    context.drafts.commendation = replace(
        draft, unit_ids=tuple(c.facts.unit_id for c in proposal.candidates)
    )
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(
            _text(context, proposal, draft.which),
            reply_markup=_controls(context.t, proposal, draft.which),
        )


async def switch_period(update: Update, context: BotContext) -> None:
    """Handle "◀ Kỳ trước" / "Kỳ này ▶": the other period's proposal, in place."""
    draft = await current_draft(update, context)
    if draft is None:
        return
    [which] = args_of(callback_data(update), Action.COMMEND_PERIOD)
    proposal = await _view(context, None, which)
    context.drafts.commendation = _draft_of(proposal, which, draft.controls_message_id)
    query = update.callback_query
    assert query is not None
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(
            _text(context, proposal, which), reply_markup=_controls(context.t, proposal, which)
        )


async def remove_unit(update: Update, context: BotContext) -> None:
    """Handle "➖ <unit>": take the unit off the list."""
    draft = await current_draft(update, context)
    if draft is None:
        return
    unit_id = int_arg(callback_data(update), Action.COMMEND_REMOVE)
    await _redraw(
        update, context, replace(draft, unit_ids=tuple(u for u in draft.unit_ids if u != unit_id))
    )


async def _picker(update: Update, context: BotContext, draft: CommendationDraft) -> None:
    """A page of every unit, ticked when on the list; "✔️ Xong" goes back to the list."""
    choices = await unit_ids_and_names(context.deps.db)
    markup = picker_keyboard(context.t, choices, draft.unit_ids, draft.page, PICKER)
    await redraw_picker(update, markup, context.t("commend.pick"))


async def add_units(update: Update, context: BotContext) -> None:
    """Handle "➕ Thêm đơn vị": the unit picker, in place."""
    draft = await current_draft(update, context)
    if draft is not None:
        await _picker(update, context, replace(draft, page=0))


async def toggle_unit(update: Update, context: BotContext) -> None:
    """Tick a unit onto the list, or off it."""
    draft = await current_draft(update, context)
    if draft is None:
        return
    unit_id = int_arg(callback_data(update), Action.COMMEND_PICK)
    if unit_id in draft.unit_ids:
        unit_ids = tuple(u for u in draft.unit_ids if u != unit_id)
    else:
        unit_ids = (*draft.unit_ids, unit_id)
    draft = replace(draft, unit_ids=unit_ids)
    context.drafts.commendation = draft
    await _picker(update, context, draft)


async def turn_page(update: Update, context: BotContext) -> None:
    """Another page of units."""
    draft = await current_draft(update, context)
    if draft is None:
        return
    draft = replace(draft, page=int_arg(callback_data(update), Action.COMMEND_PAGE))
    context.drafts.commendation = draft
    await _picker(update, context, draft)


async def done_picking(update: Update, context: BotContext) -> None:
    """Handle "✔️ Xong": back to the list, with the units added."""
    draft = await current_draft(update, context)
    if draft is not None:
        await _redraw(update, context, draft)


def _sheet(context: BotContext, proposal: Proposal, *, sent: bool) -> Sheet:
    """What the PDF prints for this list."""
    return Sheet(
        proposal.period,
        list(proposal.candidates),
        context.deps.settings.target_percent,
        now_utc() if sent else None,
    )


async def _send_pdf(update: Update, context: BotContext, sheet: Sheet) -> Message:
    """The printable "Danh sách đề nghị biểu dương", as a document to the officer."""
    from bot.documents.commendation_pdf import commendation_pdf

    t, settings = context.t, context.deps.settings
    today = now_utc().astimezone(settings.tz).date()
    pdf = commendation_pdf(
        sheet,
        commune=await scope_name(context),
        signatures=Signatures.from_settings(settings),
        top=settings.commend_top,
        tz=settings.tz,
        made_on=today,
        t=t,
    )
    return await message_of(update).reply_document(
        pdf,
        filename=f"danh-sach-bieu-duong-{sheet.period.first_day:%Y-%m-%d}.pdf",
        caption=t("commend.pdf_caption", period=sheet.period.label),
    )


async def send_pdf(update: Update, context: BotContext) -> None:
    """Handle "📄 Bản in": the PDF of the list as it stands, before sending."""
    draft = await current_draft(update, context)
    if draft is None:
        return
    query = update.callback_query
    assert query is not None
    proposal = await _view(context, draft, draft.which)
    if not proposal.candidates:  # as the CLI: an empty list is not printed
        await query.answer(context.t.plain("commend.empty_pdf"), show_alert=True)
        return
    await query.answer()
    await _send_pdf(update, context, _sheet(context, proposal, sent=False))


async def send_list(update: Update, context: BotContext) -> None:
    """Handle "📤 Gửi biểu dương": the list to every unit, congratulations, then the PDF."""
    t, settings = context.t, context.deps.settings
    draft = await current_draft(update, context)
    if draft is None:
        return
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    control = query.message
    # The list is spent before anything is sent: whatever fails after this, the button (or a
    # second press while its answer is lost) cannot send it again.
    context.drafts.commendation = None
    sent = await send_commendation(
        context.deps.db,
        context.deps.outbox,
        _period(context, draft),
        draft.unit_ids,
        tz=settings.tz,
        target_percent=settings.target_percent,
        top=settings.commend_top,
        actor_user_id=context.who.user_id,
        now=now_utc(),
        reasons=dict(draft.reasons),
        progress_chat_id=control.chat.id,
        progress_message_id=control.message_id,
    )
    if sent is None:
        context.drafts.commendation = draft  # nothing was sent: the list can still be changed
        await query.answer(t.plain("commend.empty"), show_alert=True)
        return
    with contextlib.suppress(TelegramError):
        await query.answer()
    with contextlib.suppress(TelegramError):  # the progress message catches up on its own
        await context.bot.edit_message_text(
            t("broadcast.progress", done=0, total=sent.recipients),
            chat_id=control.chat.id,
            message_id=control.message_id,
        )
    period = _period(context, draft)
    await _send_pdf(
        update, context, Sheet(period, sent.candidates, settings.target_percent, now_utc())
    )


async def cancel(update: Update, context: BotContext) -> None:
    """Handle "Hủy": nothing is sent."""
    draft = await current_draft(update, context)
    if draft is None:
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await remove_buttons(query)
    context.drafts.commendation = None
    await message_of(update).reply_text(context.t("commend.cancelled"))


def register(application: BotApplication) -> None:
    """Install /bieuduong and its buttons (the gate lets officers and admins only)."""
    application.add_handler(CommandHandler("bieuduong", start_commendation))
    for action, callback, args in (
        (Action.COMMEND_PERIOD, switch_period, f"({CURRENT}|{PREVIOUS})"),
        (Action.COMMEND_REMOVE, remove_unit, r"\d+"),
        (Action.COMMEND_ADD, add_units, ""),
        (Action.COMMEND_PICK, toggle_unit, r"\d+"),
        (Action.COMMEND_PAGE, turn_page, r"\d+"),
        (Action.COMMEND_PICKED, done_picking, ""),
        (Action.COMMEND_PDF, send_pdf, ""),
        (Action.COMMEND_SEND, send_list, ""),
        (Action.COMMEND_CANCEL, cancel, ""),
        (Action.PROVINCE_COMMEND, send_province_list, ""),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern(action, args)))
