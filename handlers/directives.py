"""/thongbao: compose, preview and send a directive; the "✅ Đã nhận" and summary buttons."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import cast

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.services.broadcasts.audience import (
    ALL,
    CO_QUAN,
    COMMUNES,
    OFFICERS,
    THON,
    Audience,
    AudienceSize,
    count_audience,
    missing_codes,
)
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.dates import parse_deadline, split_number_and_date
from bot.services.broadcasts.directives import (
    ack_status,
    acknowledge_directive,
    directive_to_resend,
    queue_directive,
    recent,
)
from bot.services.registry.units import unit_choices
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.drafts import DirectiveDraft
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.outbox.progress import refresh_summary
from bot.telegram.outbox.sending import send_rendered
from bot.telegram.ui.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.ui.keyboards import ack_keyboard, asks_report, buttons
from bot.telegram.ui.reply_keyboard import command_of_label, label_filter, typed_text
from bot.texts import N_, Html, Translator, translator
from bot.texts.directives import render_directive, subject_of
from handlers.common import (
    callback_data,
    message_of,
    now_utc,
    remove_buttons,
    remove_buttons_of,
    reply,
)
from handlers.picker import PickerActions, show_unit_picker
from handlers.province import speaker
from handlers.staff import staff_only
from models import MessageKind

MENU, CONTENT, PREVIEW, NUMBER, SUBJECT, DEADLINE, AUDIENCE, PICK, COMMUNE_CODES = range(9)
# Acknowledgements arriving within this many seconds update the sender's summary once.
SUMMARY_REFRESH_SECONDS = 2.0
PICKER = PickerActions(Action.COMPOSE_PICK, Action.COMPOSE_PAGE, Action.COMPOSE_PICKED)
# Chosen units named in the preview text, and on the audience button (then "và N đơn vị khác").
NAMES_IN_PREVIEW = 12
NAMES_ON_BUTTON = 2
RECENT = 5
RESEND_SUBJECT = 40
MAX_FIELD = 300
MAX_NUMBER = 64
TEMPLATE_DEADLINE_DAYS = 7
AUDIENCE_LABELS = {
    ALL: N_("audience.all"),
    THON: N_("audience.thon"),
    CO_QUAN: N_("audience.co_quan"),
    OFFICERS: N_("audience.officers"),
}
FIELDS = {
    "number": (N_("compose.ask_number"), NUMBER),
    "subject": (N_("compose.ask_subject"), SUBJECT),
    "deadline": (N_("compose.ask_deadline"), DEADLINE),
}


def _draft(context: BotContext) -> DirectiveDraft:
    """The draft of this conversation."""
    draft = context.drafts.directive
    assert draft is not None
    return draft


def _save(context: BotContext, draft: DirectiveDraft) -> None:
    """Keep the draft between steps."""
    context.drafts.directive = draft


def _end(context: BotContext) -> int:
    """Forget the draft."""
    context.drafts.directive = None
    return ConversationHandler.END


def _audience_label(t: Translator, audience: Audience, size: AudienceSize, shown: int) -> str:
    """How the audience reads: a group's name, or the chosen units by name (a few, then more)."""
    if audience.kind == COMMUNES:
        return t.plain("audience.communes", codes=", ".join(audience.codes))
    if audience.kind != "units":
        return t.plain(AUDIENCE_LABELS[audience.kind])
    names = list(size.names)
    if len(names) <= shown:
        return t.join(names)
    return t.plain("audience.and_more", units=t.join(names[:shown]), more=len(names) - shown)


async def start_compose(update: Update, context: BotContext) -> int:
    """/thongbao [text]: with text, straight to the preview; without, the menu."""
    t = context.t
    text = message_of(update).text or ""
    words = text.split(maxsplit=1)
    # The "📢 Thông báo" key sends its label: that is no body.
    body = words[1].strip() if len(words) > 1 and command_of_label(text) is None else ""
    if body:
        _save(context, DirectiveDraft(DirectiveContent(subject="", body=body)))
        return await _show_preview(update, context)
    menu = buttons(
        [(t("compose.new"), build(Action.COMPOSE_NEW))],
        [(t("compose.template"), build(Action.COMPOSE_TEMPLATE))],
        [(t("compose.official"), build(Action.COMPOSE_OFFICIAL))],
        [(t("compose.recent"), build(Action.COMPOSE_RECENT))],
    )
    await reply(update, t("compose.menu"), menu)
    return MENU


async def ask_content(update: Update, context: BotContext) -> int:
    """Handle "Soạn mới" or "Sửa nội dung": ask for the text, a forward or a PDF."""
    if context.drafts.directive is None:
        _save(context, DirectiveDraft(DirectiveContent(subject="", body="")))
    await reply(update, context.t("compose.ask_content"))
    return CONTENT


async def start_official(update: Update, context: BotContext) -> int:
    """Handle "📣 Thông tin chính thức" (the menu, or under a 🚩 report): ask for the facts."""
    today = now_utc().astimezone(context.deps.settings.tz).date()
    content = DirectiveContent(
        subject="", body="", kind=MessageKind.OFFICIAL.value, issued_on=today
    )
    _save(context, DirectiveDraft(content))
    await reply(update, context.t("compose.ask_official"))
    return CONTENT


async def use_template(update: Update, context: BotContext) -> int:
    """Start from the built-in template written from the commune's letter."""
    today = now_utc().astimezone(context.deps.settings.tz).date()
    # The template is what units will read, so it is in the commune's language whatever
    # language the officer reads the bot in.
    commune = translator()
    content = DirectiveContent(
        subject=commune.plain("template.subject"),
        body=commune.plain("template.body"),
        issued_on=today,
        deadline=today + timedelta(days=TEMPLATE_DEADLINE_DAYS),
    )
    _save(context, DirectiveDraft(content))
    return await _show_preview(update, context)


async def show_recent(update: Update, context: BotContext) -> int:
    """List the latest directives with their counts, each with "🔁 Gửi lại".

    The composer stays open: the menu's other buttons still work after the list.
    """
    t, tz = context.t, context.deps.settings.tz
    directives = await recent(context.deps.db, RECENT)
    if not directives:
        await reply(update, t("compose.no_recent"))
        return MENU
    lines = [t("compose.recent_header")]
    resend: list[list[tuple[str, str]]] = []
    for number, r in enumerate(directives, start=1):
        subject = subject_of(t, r.kind, r.subject)
        lines.append(
            t(
                "compose.recent_line",
                number=str(number),
                date=r.created_at.astimezone(tz).strftime("%d/%m"),
                subject=subject,
                sent=r.sent,
                total=r.total,
                acknowledged=r.acked_units,
                units=r.units,
            )
        )
        short = subject if len(subject) <= RESEND_SUBJECT else subject[: RESEND_SUBJECT - 1] + "…"
        label = t.plain("compose.resend", number=str(number), subject=short)
        resend.append([(label, build(Action.COMPOSE_RESEND, r.directive_id))])
    await reply(update, "\n".join(lines), buttons(*resend))
    return MENU


async def resend_directive(update: Update, context: BotContext) -> int:
    """Handle "🔁 Gửi lại": open the composer's preview with that directive's content."""
    directive_id = int_arg(callback_data(update), Action.COMPOSE_RESEND)
    today = now_utc().astimezone(context.deps.settings.tz).date()
    found = await directive_to_resend(context.deps.db, directive_id, today)
    if found is None:
        await reply(update, context.t("compose.gone"))
        return MENU
    _save(context, DirectiveDraft(found.content, audience=found.audience))
    return await _show_preview(update, context)


async def receive_content(update: Update, context: BotContext) -> int:
    """Take typed or forwarded text, or a document with its caption."""
    message = message_of(update)
    draft = _draft(context)
    content = draft.content
    if message.document is not None:
        content = replace(
            content,
            document_file_id=message.document.file_id,
            document_name=message.document.file_name,
            body=message.caption or content.body,
        )
    elif message.text:
        content = replace(content, body=message.text)
    else:
        await reply(update, context.t("compose.content_empty"))
        return CONTENT
    _save(context, replace(draft, content=content))
    return await _show_preview(update, context)


async def _show_preview(update: Update, context: BotContext) -> int:
    """Send the directive exactly as recipients will see it, then the control buttons."""
    t, settings = context.t, context.deps.settings
    draft = _draft(context)
    commune, province = await speaker(context)
    rendered = render_directive(draft.content, t, commune, settings.course_url, province=province)
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat_id = message_of(update).chat_id
    # Only one live "📤 Gửi": the old one is spent before anything is shown, so it can never
    # send content or an audience that this preview changed, whatever fails below.
    _save(context, replace(draft, controls_message_id=None))
    await remove_buttons_of(update, chat_id, draft.controls_message_id)
    preview_buttons = ack_keyboard(t, 0, asks_report=draft.content.deadline is not None)
    await send_rendered(context.bot, chat_id, rendered, preview_buttons)
    size = await count_audience(context.deps.db, draft.audience)
    label = _audience_label(t, draft.audience, size, NAMES_IN_PREVIEW)
    button_label = _audience_label(t, draft.audience, size, NAMES_ON_BUTTON)
    controls = buttons(
        [
            (t("compose.button.number"), build(Action.COMPOSE_FIELD, "number")),
            (t("compose.button.subject"), build(Action.COMPOSE_FIELD, "subject")),
            (t("compose.button.deadline"), build(Action.COMPOSE_FIELD, "deadline")),
        ],
        [(t("compose.button.body"), build(Action.COMPOSE_BODY))],
        [
            (
                t.plain("compose.button.audience", audience=button_label),
                build(Action.COMPOSE_AUDIENCE),
            )
        ],
        [
            (t("compose.button.send"), build(Action.COMPOSE_SEND)),
            (t("compose.button.cancel"), build(Action.COMPOSE_CANCEL)),
        ],
    )
    sent = await context.bot.send_message(
        chat_id,
        t("compose.preview", audience=label, units=size.units, people=size.people),
        reply_markup=controls,
    )
    _save(context, replace(draft, controls_message_id=sent.message_id))
    return PREVIEW


async def ask_field(update: Update, context: BotContext) -> int:
    """Ask for the number/date, the subject or the deadline."""
    [field] = args_of(callback_data(update), Action.COMPOSE_FIELD)
    prompt, state = FIELDS[field]
    if state == DEADLINE:
        # The example is a week ahead, so it reads as a real deadline.
        ahead = now_utc().astimezone(context.deps.settings.tz).date() + timedelta(days=7)
        await reply(update, context.t("compose.ask_deadline", example=context.t.date(ahead)))
        return state
    await reply(update, context.t(prompt))
    return state


def _typed(update: Update) -> str:
    """The text of the message, with whitespace tidied."""
    return " ".join((message_of(update).text or "").split())


async def receive_number(update: Update, context: BotContext) -> int:
    """Read "310/UBND-VHXH 20/04/2026"."""
    text = _typed(update)
    if not text or len(text) > MAX_NUMBER:
        await reply(update, context.t("compose.too_long"))
        return NUMBER
    today = now_utc().astimezone(context.deps.settings.tz).date()
    number, issued = split_number_and_date(text, today)
    draft = _draft(context)
    content = replace(draft.content, number=number, issued_on=issued or draft.content.issued_on)
    _save(context, replace(draft, content=content))
    return await _show_preview(update, context)


async def receive_subject(update: Update, context: BotContext) -> int:
    """Read the subject line (V/v …)."""
    text = _typed(update).removeprefix("V/v").removeprefix("v/v").strip()
    if not text or len(text) > MAX_FIELD:
        await reply(update, context.t("compose.too_long"))
        return SUBJECT
    draft = _draft(context)
    _save(context, replace(draft, content=replace(draft.content, subject=text)))
    return await _show_preview(update, context)


async def receive_deadline(update: Update, context: BotContext) -> int:
    """Read a deadline that is today or later."""
    today = now_utc().astimezone(context.deps.settings.tz).date()
    deadline = parse_deadline(_typed(update), today)
    if deadline is None:
        ahead = context.t.date(today + timedelta(days=7))
        await reply(update, context.t("compose.bad_deadline", example=ahead))
        return DEADLINE
    if deadline < today:
        await reply(update, context.t("compose.past_deadline"))
        return DEADLINE
    draft = _draft(context)
    _save(context, replace(draft, content=replace(draft.content, deadline=deadline)))
    return await _show_preview(update, context)


async def choose_audience(update: Update, context: BotContext) -> int:
    """Offer the audience choices (a province officer also has communes and their officers)."""
    t = context.t
    rows = [
        [(t("audience.button.all"), build(Action.COMPOSE_AUDIENCE_SET, ALL))],
        [
            (t("audience.button.thon"), build(Action.COMPOSE_AUDIENCE_SET, THON)),
            (t("audience.button.co_quan"), build(Action.COMPOSE_AUDIENCE_SET, CO_QUAN)),
        ],
        [(t("audience.button.pick"), build(Action.COMPOSE_AUDIENCE_SET, "pick"))],
    ]
    _, province = await speaker(context)
    if province is not None:
        rows.append(
            [
                (t("audience.button.communes"), build(Action.COMPOSE_AUDIENCE_SET, COMMUNES)),
                (t("audience.button.officers"), build(Action.COMPOSE_AUDIENCE_SET, OFFICERS)),
            ]
        )
    await reply(update, t("audience.ask"), buttons(*rows))
    return AUDIENCE


async def set_audience(update: Update, context: BotContext) -> int:
    """Everyone, thôn/buôn or agencies; or open the unit picker."""
    [choice] = args_of(callback_data(update), Action.COMPOSE_AUDIENCE_SET)
    draft = _draft(context)
    if choice == "pick":
        _save(context, replace(draft, picked=frozenset(draft.audience.codes), page=0))
        return await _show_picker(update, context, edit=False)
    if choice == COMMUNES:
        await reply(update, context.t("audience.ask_communes"))
        return COMMUNE_CODES
    _save(context, replace(draft, audience=Audience(choice)))
    return await _show_preview(update, context)


async def receive_communes(update: Update, context: BotContext) -> int:
    """Commune codes typed for a province's directive ("24001 24002"); unknown ones are named."""
    typed = tuple(dict.fromkeys(_typed(update).replace(",", " ").replace(";", " ").split()))
    audience = Audience(COMMUNES, typed)
    unknown = await missing_codes(context.deps.db, audience) if typed else []
    if not typed or unknown:
        await reply(update, context.t("audience.unknown_communes", codes=", ".join(unknown)))
        return COMMUNE_CODES
    _save(context, replace(_draft(context), audience=audience))
    return await _show_preview(update, context)


async def _show_picker(update: Update, context: BotContext, *, edit: bool) -> int:
    """A page of units with checkmarks."""
    draft = _draft(context)
    await show_unit_picker(update, context, draft.picked, draft.page, PICKER, edit=edit)
    return PICK


async def toggle_unit(update: Update, context: BotContext) -> int:
    """Tick or untick one unit."""
    [code] = args_of(callback_data(update), Action.COMPOSE_PICK)
    draft = _draft(context)
    picked = draft.picked - {code} if code in draft.picked else draft.picked | {code}
    _save(context, replace(draft, picked=picked))
    return await _show_picker(update, context, edit=True)


async def receive_codes(update: Update, context: BotContext) -> int:
    """Codes typed while picking ("T01 T05, B02"): ticked; unknown ones are named."""
    choices = {u.code.lower(): u.code for u in await unit_choices(context.deps.db)}
    typed = [word for word in _typed(update).replace(",", " ").replace(";", " ").split() if word]
    unknown = [word for word in typed if word.lower() not in choices]
    if unknown:
        await reply(update, context.t("audience.unknown_codes", codes=", ".join(unknown)))
        return PICK
    draft = _draft(context)
    picked = draft.picked | {choices[word.lower()] for word in typed}
    _save(context, replace(draft, picked=picked))
    return await _show_picker(update, context, edit=False)


async def turn_page(update: Update, context: BotContext) -> int:
    """Show another page of units."""
    page = int_arg(callback_data(update), Action.COMPOSE_PAGE)
    _save(context, replace(_draft(context), page=page))
    return await _show_picker(update, context, edit=True)


async def finish_picking(update: Update, context: BotContext) -> int:
    """Use the ticked units as the audience."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None
    if not draft.picked:
        await query.answer(context.t.plain("audience.pick_none"), show_alert=True)
        return PICK
    _save(context, replace(draft, audience=Audience("units", tuple(sorted(draft.picked)))))
    return await _show_preview(update, context)


async def send_directive(update: Update, context: BotContext) -> int:
    """Handle "Gửi": write every delivery in one transaction, then let the dispatcher send."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None and query.message is not None
    if query.message.message_id != draft.controls_message_id:
        # An older preview's "📤 Gửi": only the newest preview sends.
        await query.answer(context.t.plain("button.expired"))
        await remove_buttons(query)
        return PREVIEW
    size = await count_audience(context.deps.db, draft.audience)
    if size.people == 0:
        await query.answer(context.t.plain("compose.no_recipients"), show_alert=True)
        return PREVIEW
    # The button is spent before anything is queued: whatever fails after this, it cannot
    # queue the broadcast a second time (and the service sends each control message once).
    _save(context, replace(draft, controls_message_id=None))
    control = query.message
    queued = await queue_directive(
        context.deps.db,
        context.deps.outbox,
        draft.content,
        draft.audience,
        actor_user_id=context.who.user_id,
        now=now_utc(),
        progress_chat_id=control.chat.id,
        progress_message_id=control.message_id,
    )
    end = _end(context)
    with contextlib.suppress(TelegramError):
        await query.answer()
    with contextlib.suppress(TelegramError):  # the progress message catches up on its own
        await context.bot.edit_message_text(
            context.t("broadcast.progress", done=0, total=queued.recipients),
            chat_id=control.chat.id,
            message_id=control.message_id,
        )
    return end


async def cancel(update: Update, context: BotContext) -> int:
    """Handle "Hủy" or /huy: drop the draft, and the preview's buttons with it."""
    draft = context.drafts.directive
    query = update.callback_query
    if query is not None:
        await query.answer()
        await remove_buttons(query)
    elif draft is not None:
        await remove_buttons_of(update, message_of(update).chat_id, draft.controls_message_id)
    await message_of(update).reply_text(context.t("compose.cancelled"))
    return _end(context)


async def acknowledge(update: Update, context: BotContext) -> None:
    """Handle "✅ Đã nhận": record once and show when."""
    t = context.t
    query = update.callback_query
    assert query is not None
    directive_id = int_arg(callback_data(update), Action.ACK)
    if directive_id == 0:
        await query.answer(t.plain("ack.preview"))
        return
    result = await acknowledge_directive(
        context.deps.db, directive_id, context.who.user_id, now_utc()
    )
    if not result.recorded or result.acknowledged_at is None:
        await query.answer(t.plain("ack.not_for_you"), show_alert=True)
        return
    await query.answer(t.plain("ack.recorded"))
    _refresh_summary_soon(context, directive_id)
    when = result.acknowledged_at.astimezone(context.deps.settings.tz).strftime("%H:%M %d/%m")
    # Pressed again: the button already says so, and Telegram answers "not modified".
    pressed = query.message
    keeps_report = isinstance(pressed, Message) and asks_report(pressed.reply_markup)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(
            ack_keyboard(
                t,
                directive_id,
                t.plain("button.acknowledged", when=when),
                asks_report=keeps_report,
            )
        )


def _refresh_summary_soon(context: BotContext, directive_id: int) -> None:
    """The sender's summary shows this acknowledgement shortly (one edit for a burst of them)."""
    queue = cast(BotApplication, context.application).job_queue
    name = f"summary-refresh:{directive_id}"
    if queue is None or queue.get_jobs_by_name(name):
        return
    queue.run_once(_refresh_summary, SUMMARY_REFRESH_SECONDS, data=directive_id, name=name)


async def _refresh_summary(context: BotContext) -> None:
    """The job: edit the summary with the acknowledgements so far."""
    assert context.job is not None and isinstance(context.job.data, int)
    await refresh_summary(context.bot, context.deps.db, context.job.data)


async def show_unacknowledged(update: Update, context: BotContext) -> None:
    """Handle "Chưa xác nhận": list the units that have not pressed "Đã nhận"."""
    t = context.t
    status = await ack_status(
        context.deps.db, int_arg(callback_data(update), Action.DIRECTIVE_UNACKED)
    )
    if status is None:
        await reply(update, t("compose.gone"))
        return
    subject = subject_of(t, status.kind, status.subject)
    if not status.waiting:
        await reply(update, t("ack.all_units", subject=subject))
        return
    names = Html("\n".join(t("ack.waiting_unit", unit=name) for name in status.waiting))
    await reply(update, t("ack.waiting", subject=subject, count=len(status.waiting), units=names))


def build_conversation(shared: SharedState, timeout_seconds: int) -> Conversation:
    """The /thongbao conversation."""
    typed = typed_text()
    return Conversation(
        shared=shared,
        entry_points=[
            CommandHandler("thongbao", start_compose),
            # A "🔁 Gửi lại" from an earlier list reopens the composer, whatever state it is in.
            CallbackQueryHandler(resend_directive, pattern=pattern(Action.COMPOSE_RESEND, r"\d+")),
            # So does "📣 Thông tin chính thức" under a head's 🚩 report, or in the menu.
            CallbackQueryHandler(start_official, pattern=pattern(Action.COMPOSE_OFFICIAL)),
            MessageHandler(label_filter("thongbao"), start_compose),
        ],
        states={
            MENU: [
                CallbackQueryHandler(ask_content, pattern=pattern(Action.COMPOSE_NEW)),
                CallbackQueryHandler(use_template, pattern=pattern(Action.COMPOSE_TEMPLATE)),
                CallbackQueryHandler(show_recent, pattern=pattern(Action.COMPOSE_RECENT)),
            ],
            CONTENT: [MessageHandler((typed | filters.Document.ALL), receive_content)],
            PREVIEW: [
                CallbackQueryHandler(
                    ask_field, pattern=pattern(Action.COMPOSE_FIELD, "(number|subject|deadline)")
                ),
                CallbackQueryHandler(ask_content, pattern=pattern(Action.COMPOSE_BODY)),
                CallbackQueryHandler(choose_audience, pattern=pattern(Action.COMPOSE_AUDIENCE)),
                CallbackQueryHandler(send_directive, pattern=pattern(Action.COMPOSE_SEND)),
            ],
            NUMBER: [MessageHandler(typed, receive_number)],
            SUBJECT: [MessageHandler(typed, receive_subject)],
            DEADLINE: [MessageHandler(typed, receive_deadline)],
            AUDIENCE: [
                CallbackQueryHandler(
                    set_audience,
                    pattern=pattern(
                        Action.COMPOSE_AUDIENCE_SET, "(all|thon|co_quan|pick|communes|officers)"
                    ),
                )
            ],
            COMMUNE_CODES: [MessageHandler(typed, receive_communes)],
            PICK: [
                MessageHandler(typed_text(), receive_codes),
                CallbackQueryHandler(toggle_unit, pattern=pattern(Action.COMPOSE_PICK, ".+")),
                CallbackQueryHandler(turn_page, pattern=pattern(Action.COMPOSE_PAGE, r"\d+")),
                CallbackQueryHandler(finish_picking, pattern=pattern(Action.COMPOSE_PICKED)),
            ],
        },
        fallbacks=[
            CommandHandler("huy", cancel),
            CallbackQueryHandler(cancel, pattern=pattern(Action.COMPOSE_CANCEL)),
            CommandHandler("thongbao", start_compose),
            CallbackQueryHandler(start_official, pattern=pattern(Action.COMPOSE_OFFICIAL)),
        ],
        conversation_timeout=timeout_seconds,
        name="directive",
    )


def register(application: BotApplication) -> None:
    """Install /thongbao and the directive buttons."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(
        staff_only(
            build_conversation(application.bot_data.shared_state, timeout),
            command="thongbao",
            slot="directive",
        )
    )
    application.add_handler(CallbackQueryHandler(acknowledge, pattern=pattern(Action.ACK, r"\d+")))
    application.add_handler(
        CallbackQueryHandler(show_unacknowledged, pattern=pattern(Action.DIRECTIVE_UNACKED, r"\d+"))
    )
