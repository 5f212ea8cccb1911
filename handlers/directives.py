"""/thongbao: compose, preview and send a directive; the "✅ Đã nhận" and summary buttons."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.context import BotApplication, BotContext
from bot.formatting import escape
from bot.keyboards import ACK_PREFIX, ack_keyboard
from bot.outbox import UNACKED_PREFIX, send_rendered
from bot.services.audience import ALL, CO_QUAN, THON, Audience, audience_size
from bot.services.dates import parse_vn_date, split_number_and_date
from bot.services.directive_render import DirectiveContent, render_directive
from bot.services.directives import (
    acknowledge,
    create_directive,
    recent_directives,
    unit_ack_status,
)
from bot.services.units import list_units
from handlers.common import message_of, now_utc, reply
from models import Directive

MENU, CONTENT, PREVIEW, NUMBER, SUBJECT, DEADLINE, AUDIENCE, PICK = range(8)
DRAFT_KEY = "directive_draft"
PAGE_SIZE = 8
MAX_FIELD = 300


@dataclass(frozen=True)
class DirectiveDraft:
    """A directive being composed."""

    content: DirectiveContent
    audience: Audience = field(default_factory=lambda: Audience(ALL))
    picked: frozenset[str] = frozenset()
    page: int = 0


def _draft(context: BotContext) -> DirectiveDraft:
    """The draft of this conversation."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    assert isinstance(draft, DirectiveDraft)
    return draft


def _save(context: BotContext, draft: DirectiveDraft) -> None:
    """Keep the draft between steps."""
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft


def _end(context: BotContext) -> int:
    """Forget the draft."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
    return ConversationHandler.END


def _buttons(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Build an inline keyboard from (label, data) rows."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _audience_label(audience: Audience) -> str:
    """How the audience reads on buttons and in the preview."""
    if audience.kind == "units":
        return ", ".join(audience.codes)
    return texts.AUDIENCE_LABELS[audience.kind]


async def start_compose(update: Update, context: BotContext) -> int:
    """/thongbao [text]: with text, straight to the preview; without, the menu."""
    text = message_of(update).text or ""
    body = text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""
    if body:
        _save(context, DirectiveDraft(DirectiveContent(subject="", body=body)))
        return await _show_preview(update, context)
    menu = _buttons(
        [(texts.COMPOSE_NEW, "dir:new")],
        [(texts.COMPOSE_TEMPLATE, "dir:template")],
        [(texts.COMPOSE_RECENT, "dir:recent")],
    )
    await reply(update, texts.COMPOSE_MENU, menu)
    return MENU


async def ask_content(update: Update, context: BotContext) -> int:
    """Handle "Soạn mới" or "Sửa nội dung": ask for the text, a forward or a PDF."""
    if context.user_data is not None and DRAFT_KEY not in context.user_data:
        _save(context, DirectiveDraft(DirectiveContent(subject="", body="")))
    await reply(update, texts.ASK_CONTENT)
    return CONTENT


async def use_template(update: Update, context: BotContext) -> int:
    """Start from the built-in template written from the commune's letter."""
    today = now_utc().astimezone(context.deps.settings.tz).date()
    content = DirectiveContent(
        subject=texts.TEMPLATE_SUBJECT,
        body=texts.TEMPLATE_BODY,
        issued_on=today,
        deadline=today + timedelta(days=texts.TEMPLATE_DEADLINE_DAYS),
    )
    _save(context, DirectiveDraft(content))
    return await _show_preview(update, context)


async def show_recent(update: Update, context: BotContext) -> int:
    """List the latest directives with delivered and acknowledged counts."""
    async with context.deps.read_session_factory() as session:
        recent = await recent_directives(session)
    if not recent:
        await reply(update, texts.NO_RECENT)
        return _end(context)
    tz = context.deps.settings.tz
    lines = [
        texts.recent_line(
            r.directive.created_at.astimezone(tz).strftime("%d/%m"),
            escape(r.directive.subject or texts.DEFAULT_SUBJECT),
            r.sent,
            r.total,
            r.acked_units,
            r.units,
        )
        for r in recent
    ]
    await reply(update, "\n".join([f"<b>{texts.COMPOSE_RECENT}</b>", *lines]))
    return _end(context)


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
        await reply(update, texts.CONTENT_EMPTY)
        return CONTENT
    _save(context, replace(draft, content=content))
    return await _show_preview(update, context)


async def _show_preview(update: Update, context: BotContext) -> int:
    """Send the directive exactly as recipients will see it, then the control buttons."""
    draft = _draft(context)
    settings = context.deps.settings
    rendered = render_directive(draft.content, settings.commune_name, settings.course_url)
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat_id = message_of(update).chat_id
    await send_rendered(context.bot, chat_id, rendered, ack_keyboard(0))
    async with context.deps.read_session_factory() as session:
        units, contacts = await audience_size(session, draft.audience)
    controls = _buttons(
        [
            (texts.BUTTON_NUMBER, "dir:number"),
            (texts.BUTTON_SUBJECT, "dir:subject"),
            (texts.BUTTON_DEADLINE, "dir:deadline"),
        ],
        [(texts.BUTTON_EDIT_BODY, "dir:body")],
        [(texts.BUTTON_AUDIENCE.format(audience=_audience_label(draft.audience)), "dir:audience")],
        [(texts.BUTTON_SEND, "dir:send"), (texts.BUTTON_CANCEL, "dir:cancel")],
    )
    await context.bot.send_message(
        chat_id,
        texts.preview_control(escape(_audience_label(draft.audience)), units, contacts),
        reply_markup=controls,
    )
    return PREVIEW


async def ask_field(update: Update, context: BotContext) -> int:
    """Ask for the number/date, the subject or the deadline."""
    query = update.callback_query
    assert query is not None and query.data is not None
    field = query.data.removeprefix("dir:")
    prompts = {
        "number": (texts.ASK_NUMBER, NUMBER),
        "subject": (texts.ASK_SUBJECT, SUBJECT),
        "deadline": (texts.ASK_DEADLINE, DEADLINE),
    }
    prompt, state = prompts[field]
    await reply(update, prompt)
    return state


def _typed(update: Update) -> str:
    """The text of the message, with whitespace tidied."""
    return " ".join((message_of(update).text or "").split())


async def receive_number(update: Update, context: BotContext) -> int:
    """Read "310/UBND-VHXH 20/04/2026"."""
    text = _typed(update)
    if not text or len(text) > 64:
        await reply(update, texts.TOO_LONG_FIELD)
        return NUMBER
    today = now_utc().astimezone(context.deps.settings.tz).date()
    number, issued = split_number_and_date(text, today)
    draft = _draft(context)
    _save(
        context,
        replace(
            draft,
            content=replace(
                draft.content, number=number, issued_on=issued or draft.content.issued_on
            ),
        ),
    )
    return await _show_preview(update, context)


async def receive_subject(update: Update, context: BotContext) -> int:
    """Read the subject line (V/v …)."""
    text = _typed(update).removeprefix("V/v").removeprefix("v/v").strip()
    if not text or len(text) > MAX_FIELD:
        await reply(update, texts.TOO_LONG_FIELD)
        return SUBJECT
    draft = _draft(context)
    _save(context, replace(draft, content=replace(draft.content, subject=text)))
    return await _show_preview(update, context)


async def receive_deadline(update: Update, context: BotContext) -> int:
    """Read a deadline that is today or later."""
    today = now_utc().astimezone(context.deps.settings.tz).date()
    deadline = parse_vn_date(_typed(update), today)
    if deadline is None:
        await reply(update, texts.BAD_DATE)
        return DEADLINE
    if deadline < today:
        await reply(update, texts.PAST_DEADLINE)
        return DEADLINE
    draft = _draft(context)
    _save(context, replace(draft, content=replace(draft.content, deadline=deadline)))
    return await _show_preview(update, context)


async def choose_audience(update: Update, context: BotContext) -> int:
    """Offer the audience choices."""
    choices = _buttons(
        [(texts.BUTTON_ALL, "dir:aud:all")],
        [(texts.BUTTON_THON, "dir:aud:thon"), (texts.BUTTON_CO_QUAN, "dir:aud:co_quan")],
        [(texts.BUTTON_PICK, "dir:aud:pick")],
    )
    await reply(update, texts.ASK_AUDIENCE, choices)
    return AUDIENCE


async def set_audience(update: Update, context: BotContext) -> int:
    """Everyone, thôn/buôn or agencies; or open the unit picker."""
    query = update.callback_query
    assert query is not None and query.data is not None
    choice = query.data.removeprefix("dir:aud:")
    draft = _draft(context)
    if choice == "pick":
        _save(context, replace(draft, picked=frozenset(draft.audience.codes), page=0))
        return await _show_picker(update, context, edit=False)
    assert choice in (ALL, THON, CO_QUAN)
    _save(context, replace(draft, audience=Audience(choice)))
    return await _show_preview(update, context)


async def _show_picker(update: Update, context: BotContext, *, edit: bool) -> int:
    """A page of units with checkmarks."""
    draft = _draft(context)
    async with context.deps.read_session_factory() as session:
        units = await list_units(session)
    pages = max(1, -(-len(units) // PAGE_SIZE))
    page = min(draft.page, pages - 1)
    rows = [
        [(("✔️ " if u.code in draft.picked else "") + u.name, f"dir:pick:{u.code}")]
        for u in units[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    navigation = []
    if page > 0:
        navigation.append((texts.BUTTON_PREV, f"dir:page:{page - 1}"))
    navigation.append((f"{page + 1}/{pages}", f"dir:page:{page}"))
    if page < pages - 1:
        navigation.append((texts.BUTTON_NEXT, f"dir:page:{page + 1}"))
    markup = _buttons(*rows, navigation, [(texts.BUTTON_DONE, "dir:picked")])
    query = update.callback_query
    if edit and query is not None:
        await query.answer()
        # Pressing the current page number changes nothing: Telegram says "not modified".
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(markup)
        return PICK
    await reply(update, texts.PICK_UNITS, markup)
    return PICK


async def toggle_unit(update: Update, context: BotContext) -> int:
    """Tick or untick one unit."""
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix("dir:pick:")
    draft = _draft(context)
    picked = draft.picked - {code} if code in draft.picked else draft.picked | {code}
    _save(context, replace(draft, picked=picked))
    return await _show_picker(update, context, edit=True)


async def turn_page(update: Update, context: BotContext) -> int:
    """Show another page of units."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _save(context, replace(_draft(context), page=int(query.data.removeprefix("dir:page:"))))
    return await _show_picker(update, context, edit=True)


async def finish_picking(update: Update, context: BotContext) -> int:
    """Use the ticked units as the audience."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None
    if not draft.picked:
        await query.answer(texts.PICK_NONE, show_alert=True)
        return PICK
    _save(context, replace(draft, audience=Audience("units", tuple(sorted(draft.picked)))))
    return await _show_preview(update, context)


async def send_directive(update: Update, context: BotContext) -> int:
    """Handle "Gửi": write every delivery in one transaction, then let the dispatcher send."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None and query.message is not None
    async with context.deps.read_session_factory() as session:
        _, contacts = await audience_size(session, draft.audience)
    if contacts == 0:
        await query.answer(texts.NO_RECIPIENTS, show_alert=True)
        return PREVIEW
    await query.answer()
    control = query.message
    async with context.deps.session_factory.begin() as session:
        _, count = await create_directive(
            session,
            draft.content,
            draft.audience,
            actor_user_id=context.who.user_id,
            now=now_utc(),
            progress_chat_id=control.chat.id,
            progress_message_id=control.message_id,
        )
    await context.bot.edit_message_text(
        texts.sending_progress(0, count), chat_id=control.chat.id, message_id=control.message_id
    )
    context.deps.dispatcher.wake()
    return _end(context)


async def cancel(update: Update, context: BotContext) -> int:
    """Handle "Hủy" or /huy: drop the draft."""
    await reply(update, texts.COMPOSE_CANCELLED)
    return _end(context)


async def acknowledge_directive(update: Update, context: BotContext) -> None:
    """Handle "✅ Đã nhận": record once and show when."""
    query = update.callback_query
    assert query is not None and query.data is not None
    directive_id = int(query.data.removeprefix(ACK_PREFIX))
    if directive_id == 0:
        await query.answer(texts.ACK_PREVIEW)
        return
    async with context.deps.session_factory.begin() as session:
        result = await acknowledge(session, directive_id, context.who.user_id, now_utc())
    if not result.recorded or result.acknowledged_at is None:
        await query.answer(texts.ACK_NOT_FOR_YOU, show_alert=True)
        return
    await query.answer(texts.ACK_RECORDED)
    when = result.acknowledged_at.astimezone(context.deps.settings.tz).strftime("%H:%M %d/%m")
    # Pressed again: the button already says so, and Telegram answers "not modified".
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(
            ack_keyboard(directive_id, texts.acknowledged_button(when))
        )


async def show_unacknowledged(update: Update, context: BotContext) -> None:
    """Handle "Chưa xác nhận": list the units that have not pressed "Đã nhận"."""
    query = update.callback_query
    assert query is not None and query.data is not None
    directive_id = int(query.data.removeprefix(UNACKED_PREFIX))
    async with context.deps.read_session_factory() as session:
        directive = await session.get(Directive, directive_id)
        _, waiting = await unit_ack_status(session, directive_id)
    subject = escape(
        directive.subject if directive and directive.subject else texts.DEFAULT_SUBJECT
    )
    await reply(update, texts.unacknowledged_units(subject, [escape(n) for n in waiting]))


def build_conversation(timeout_seconds: int) -> ConversationHandler[BotContext]:
    """The /thongbao conversation."""
    typed = filters.TEXT & ~filters.COMMAND

    return ConversationHandler(
        entry_points=[CommandHandler("thongbao", start_compose)],
        states={
            MENU: [
                CallbackQueryHandler(ask_content, pattern="^dir:new$"),
                CallbackQueryHandler(use_template, pattern="^dir:template$"),
                CallbackQueryHandler(show_recent, pattern="^dir:recent$"),
            ],
            CONTENT: [MessageHandler((typed | filters.Document.ALL), receive_content)],
            PREVIEW: [
                CallbackQueryHandler(ask_field, pattern="^dir:(number|subject|deadline)$"),
                CallbackQueryHandler(ask_content, pattern="^dir:body$"),
                CallbackQueryHandler(choose_audience, pattern="^dir:audience$"),
                CallbackQueryHandler(send_directive, pattern="^dir:send$"),
            ],
            NUMBER: [MessageHandler(typed, receive_number)],
            SUBJECT: [MessageHandler(typed, receive_subject)],
            DEADLINE: [MessageHandler(typed, receive_deadline)],
            AUDIENCE: [
                CallbackQueryHandler(set_audience, pattern="^dir:aud:(all|thon|co_quan|pick)$")
            ],
            PICK: [
                CallbackQueryHandler(toggle_unit, pattern="^dir:pick:"),
                CallbackQueryHandler(turn_page, pattern=r"^dir:page:\d+$"),
                CallbackQueryHandler(finish_picking, pattern="^dir:picked$"),
            ],
        },
        fallbacks=[
            CommandHandler("huy", cancel),
            CallbackQueryHandler(cancel, pattern="^dir:cancel$"),
            CommandHandler("thongbao", start_compose),
        ],
        conversation_timeout=timeout_seconds,
        allow_reentry=True,
        name="directive",
    )


def register(application: BotApplication) -> None:
    """Install /thongbao and the directive buttons."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(build_conversation(timeout))
    application.add_handler(
        CallbackQueryHandler(acknowledge_directive, pattern=rf"^{ACK_PREFIX}\d+$")
    )
    application.add_handler(
        CallbackQueryHandler(show_unacknowledged, pattern=rf"^{UNACKED_PREFIX}\d+$")
    )
