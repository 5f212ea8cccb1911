"""A head's words that are not a report reach a person (issue 24).

Thanks get a kind word; a question the bot knows is answered; anything else is offered with
"📨 Gửi cho cán bộ xã". A forwarded post or a link is also offered "🚩 Báo tin xấu, độc": the
officers get it tagged, with where it came from. A voice note goes to the officers at once.
Either way it lands in the unit's thread, where officers answer with ↩️ Trả lời.
"""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardMarkup,
    Message,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.services.reports.periods import current_deadline
from bot.services.reports.reports import Reporter, Target
from bot.services.threads.head_words import Meaning, understand
from bot.services.threads.threads import Written, ask_commune
from bot.settings import Settings
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.drafts import AskDraft
from bot.telegram.ui.callbacks import Action, build, int_arg, pattern
from bot.telegram.ui.keyboards import (
    buttons,
    head_menu,
    report_button,
    staff_flag_buttons,
    staff_thread_buttons,
)
from bot.texts import Html, Translator
from bot.texts.directives import deadline_phrase
from handlers.common import (
    callback_data,
    display_name,
    incoming_file,
    message_of,
    now_utc,
    own_unit,
    remove_buttons,
)

# A link in a message: "🚩" is offered beside "📨".
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def _ask_buttons(t: Translator, update_id: int, *, report: bool) -> InlineKeyboardMarkup:
    """The "📨 Gửi cho cán bộ xã" button (and "📝 Báo cáo" when the bot had nothing to say)."""
    row = [(t("button.ask_commune"), build(Action.ASK_SEND, update_id))]
    if report:
        row.append((t("button.report"), build(Action.REPORT_START)))
    return buttons(row)


def _known_answer(t: Translator, settings: Settings, meaning: Meaning) -> Html | None:
    """The bot's own answer to a question it knows, or None."""
    if meaning is Meaning.DEADLINE:
        now = now_utc()
        due = current_deadline(settings, now)
        when = deadline_phrase(t, due.isoformat())
        if due < now:
            return t("chat.answer.deadline_passed", when=when)
        return t("chat.answer.deadline", when=when)
    if meaning is Meaning.COURSE:
        return t("chat.answer.course", url=settings.course_url)
    if meaning is Meaning.REGISTER:
        return t("chat.answer.register", url=settings.course_url)
    if meaning is Meaning.WHAT_TO_REPORT:
        return t("chat.answer.what_to_report")
    return None


async def answer_words(update: Update, context: BotContext, target: Target, text: str) -> None:
    """A head's words without figures: thanks, a greeting, a question, or for the officers."""
    t, message = context.t, message_of(update)
    understood = understand(text)
    if understood.meaning is Meaning.THANKS:
        await message.reply_text(t("chat.thanks"))
        return
    if understood.meaning is Meaning.GREETING:
        await message.reply_text(
            t("chat.head_other", unit=target.unit_name), reply_markup=head_menu(t)
        )
        return
    if understood.meaning is Meaning.MISTYPED_NUMBER:
        await message.reply_text(
            t("chat.mistyped", number=understood.number or 0), reply_markup=report_button(t)
        )
        return
    # Kept, so that "📨" or "🚩" sends exactly these words.
    context.drafts.asked = AskDraft(update.update_id, text)
    if LINK.search(text):
        await _offer_flag(update, context)
        return
    answer = _known_answer(t, context.deps.settings, understood.meaning)
    if answer is not None:
        markup = _ask_buttons(t, update.update_id, report=False)
        await message.reply_text(
            Html(answer + "\n\n" + t("chat.answer.still")), reply_markup=markup
        )
        return
    await message.reply_text(
        t("chat.offer"), reply_markup=_ask_buttons(t, update.update_id, report=True)
    )


async def send_to_commune(update: Update, context: BotContext) -> None:
    """Handle "📨 Gửi cho cán bộ xã": the head's words go into the unit's thread, once."""
    await _post(update, context, Action.ASK_SEND, flagged=False)


async def flag_to_commune(update: Update, context: BotContext) -> None:
    """Handle "🚩 Báo tin xấu, độc": the post goes to the officers tagged, once."""
    await _post(update, context, Action.ASK_FLAG, flagged=True)


async def _post(update: Update, context: BotContext, action: Action, *, flagged: bool) -> None:
    """Put the kept message in the unit's thread; a stale or second press changes nothing."""
    t = context.t
    query = update.callback_query
    assert query is not None
    update_id = int_arg(callback_data(update), action)
    draft, target = context.drafts.asked, own_unit(context.who)
    if draft is None or draft.update_id != update_id or target is None:
        await query.answer(t.plain("ask.stale"), show_alert=True)
        await remove_buttons(query)
        return
    context.drafts.asked = None
    settings = context.deps.settings
    text = draft.text if draft.origin is None else f"{draft.text}\n↪️ {draft.origin}".strip()
    written = Written(text, draft.photo, flagged=flagged)
    await ask_commune(
        context.deps.db,
        context.deps.outbox,
        target,
        Reporter(context.who.user_id, display_name(update)),
        written,
        update_id=update_id,
        now=now_utc(),
        period_kind=settings.report_period,
        tz=settings.tz,
        buttons_for=staff_flag_buttons if flagged else staff_thread_buttons,
    )
    await query.answer()
    await remove_buttons(query)
    sent = t("chat.flag_sent") if flagged else t("thread.sent_to_commune")
    await message_of(update).reply_text(sent)


async def _offer_flag(update: Update, context: BotContext) -> None:
    """A forward or a link: "🚩 Báo tin xấu, độc" beside "📨 Gửi cho cán bộ xã"."""
    t = context.t
    markup = buttons(
        [(t("button.flag"), build(Action.ASK_FLAG, update.update_id))],
        [(t("button.ask_commune"), build(Action.ASK_SEND, update.update_id))],
    )
    await message_of(update).reply_text(t("chat.offer_flag"), reply_markup=markup)


def _origin(origin: MessageOrigin) -> str:
    """Where a forwarded post came from: a channel, a group or a person, as Telegram says."""
    if isinstance(origin, MessageOriginChannel | MessageOriginChat):
        chat = origin.chat if isinstance(origin, MessageOriginChannel) else origin.sender_chat
        name = chat.effective_name or ""
        return f"{name} (@{chat.username})" if chat.username else name
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.full_name
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name
    return ""


async def offer_forwarded(update: Update, context: BotContext) -> None:
    """A post a head forwards from elsewhere: offered to report as bad information, or to ask."""
    message: Message = message_of(update)
    target = own_unit(context.who)
    if target is None:
        # Officers and admins without a unit: their keyboard and /huongdan, as for any text.
        await message.reply_text(context.t("chat.staff_other"))
        return
    if message.forward_origin is None:
        return
    photo = incoming_file(message) if message.photo else None
    context.drafts.asked = AskDraft(
        update.update_id,
        message.text or message.caption or "",
        _origin(message.forward_origin),
        photo,
    )
    await _offer_flag(update, context)


async def send_voice(update: Update, context: BotContext, target: Target, file_id: str) -> None:
    """A head's voice note, into the unit's thread as it was spoken (many heads speak)."""
    settings = context.deps.settings
    await ask_commune(
        context.deps.db,
        context.deps.outbox,
        target,
        Reporter(context.who.user_id, display_name(update)),
        Written(message_of(update).caption or "", voice_file_id=file_id),
        update_id=update.update_id,
        now=now_utc(),
        period_kind=settings.report_period,
        tz=settings.tz,
        buttons_for=staff_thread_buttons,
    )
    await message_of(update).reply_text(context.t("chat.voice_sent"))


def register(application: BotApplication) -> None:
    """Install forwards (before evidence and the catch-alls) and the two buttons."""
    application.add_handler(MessageHandler(filters.FORWARDED, offer_forwarded))
    application.add_handler(
        CallbackQueryHandler(send_to_commune, pattern=pattern(Action.ASK_SEND, r"\d+"))
    )
    application.add_handler(
        CallbackQueryHandler(flag_to_commune, pattern=pattern(Action.ASK_FLAG, r"\d+"))
    )
