"""/chiase: a unit shares a good model (text and photos), previews it, and sends it for review."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services.recognition.good_models import (
    MAX_BODY,
    MAX_PHOTOS,
    Buttons,
    Sharing,
    split_title,
    submit_model,
)
from bot.services.reports.reports import Refused, Reporter, ReportRefused, read_command
from bot.telegram.context import BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.drafts import ModelDraft
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.outbox.sending import send_rendered
from bot.telegram.ui.callbacks import Action, build, pattern
from bot.telegram.ui.keyboards import buttons
from bot.telegram.ui.reply_keyboard import typed_text
from bot.texts import N_
from bot.texts.directives import MAX_TEXT, Rendered
from bot.texts.formatting import split_for_telegram
from bot.texts.recognition import model_blocks
from handlers.common import (
    MEDIA,
    display_name,
    media_key,
    message_of,
    now_utc,
    remove_buttons,
    remove_buttons_of,
    reply,
)
from handlers.province import scope_name

# The sharing conversation (heads, agencies, officers for a unit).
COLLECT, PREVIEW = range(2)
SHARE_REFUSALS = {
    Refused.NOT_A_REPORTER: N_("share.refused.not_a_reporter"),
    Refused.OTHER_UNIT: N_("share.refused.other_unit"),
    Refused.STAFF_NEEDS_UNIT: N_("share.refused.staff_needs_unit"),
    Refused.UNKNOWN_UNIT: N_("share.refused.unknown_unit"),
}


def _share(context: BotContext) -> ModelDraft:
    """The model being shared."""
    draft = context.drafts.good_model
    assert draft is not None
    return draft


def _end_share(context: BotContext) -> int:
    """Forget the model being shared."""
    context.drafts.good_model = None
    return ConversationHandler.END


async def start_share(update: Update, context: BotContext) -> int:
    """/chiase [unit code] [text] or "🌟 Chia sẻ cách làm hay": ask for the model, or preview."""
    t = context.t
    args = context.args if update.callback_query is None else []
    try:
        command = await read_command(context.deps.db, context.who, list(args or []))
    except ReportRefused as refused:
        await reply(update, t(SHARE_REFUSALS[refused.reason]))
        return _end_share(context)
    previous = context.drafts.good_model
    if previous is not None:
        await remove_buttons_of(update, message_of(update).chat_id, previous.controls_message_id)
    text = _typed_after_command(update, code_given=command.numbers != " ".join(args or []))
    context.drafts.good_model = ModelDraft(
        command.target, author_name=display_name(update), text=text[:MAX_BODY]
    )
    if context.drafts.good_model.text:
        return await _preview(update, context)
    await reply(
        update, t("share.ask", unit=command.target.unit_name, photos=MAX_PHOTOS, limit=MAX_BODY)
    )
    return COLLECT


def _typed_after_command(update: Update, *, code_given: bool) -> str:
    """The text typed after "/chiase" (and after the unit code), its lines kept."""
    if update.callback_query is not None:
        return ""
    parts = (message_of(update).text or "").split(maxsplit=1)
    rest = parts[1] if len(parts) > 1 else ""
    if code_given:
        words = rest.split(maxsplit=1)
        rest = words[1] if len(words) > 1 else ""
    return rest.strip()


async def receive_text(update: Update, context: BotContext) -> int:
    """The model's text (typed again: it replaces the earlier one)."""
    text = (message_of(update).text or "").strip()
    if len(text) > MAX_BODY:
        await reply(update, context.t("share.too_long", limit=MAX_BODY))
        return _state(context)
    context.drafts.good_model = replace(_share(context), text=text)
    return await _preview(update, context)


def _state(context: BotContext) -> int:
    """PREVIEW while a preview with "📤 Gửi" is live, COLLECT otherwise."""
    return PREVIEW if _share(context).controls_message_id is not None else COLLECT


async def receive_photo(update: Update, context: BotContext) -> int:
    """A photo (or an album): kept up to MAX_PHOTOS; a caption stands for the text if none yet.

    Adding a photo takes the buttons off the last preview (it no longer shows everything);
    "👁 Xem trước" shows the new one.
    """
    t = context.t
    message = message_of(update)
    draft = _share(context)
    album = message.media_group_id
    first_of_album = album is None or album != draft.media_group
    photos = draft.photo_file_ids
    full = len(photos) >= MAX_PHOTOS
    if not full and message.photo:
        photos = (*photos, message.photo[-1].file_id)
    text = draft.text or (message.caption or "").strip()[:MAX_BODY]
    await remove_buttons_of(update, message.chat_id, draft.controls_message_id)
    draft = replace(
        draft, photo_file_ids=photos, text=text, media_group=album, controls_message_id=None
    )
    context.drafts.good_model = draft
    if not first_of_album:
        return COLLECT
    if full:
        await message.reply_text(t("share.photos_full", photos=MAX_PHOTOS))
    elif text:
        preview = buttons([(t("share.button.preview"), build(Action.MODEL_PREVIEW))])
        await message.reply_text(t("share.photo_ready", photos=MAX_PHOTOS), reply_markup=preview)
    else:
        await message.reply_text(t("share.photo_needs_text", photos=MAX_PHOTOS))
    return COLLECT


async def receive_other(update: Update, context: BotContext) -> int:
    """A file or a voice note while sharing: the model takes text and photos only.

    Neither is kept as evidence nor read for figures (the head is sharing, not reporting); a
    photo sent as a file is asked again as a photo (Telegram cannot show a file as one).
    """
    t = context.t
    if message_of(update).document is not None:
        text = t("share.file", photos=MAX_PHOTOS)
    else:
        text = t("share.media", what=t(media_key(update)))
    await message_of(update).reply_text(text)
    return _state(context)


async def show_preview(update: Update, context: BotContext) -> int:
    """Handle "👁 Xem trước" after photos."""
    if update.callback_query is not None:
        await remove_buttons(update.callback_query)
    return await _preview(update, context)


async def _preview(update: Update, context: BotContext) -> int:
    """The model as units will see it once spread, with "📤 Gửi" / "Hủy"."""
    t, settings = context.t, context.deps.settings
    draft = _share(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    if not draft.text.strip():
        await message_of(update).reply_text(t("share.empty"))
        return COLLECT
    title, body = split_title(draft.text)
    blocks = model_blocks(
        t, draft.target.unit_name, title, body, await scope_name(context), settings.course_url
    )
    chat_id = message_of(update).chat_id
    await remove_buttons_of(update, chat_id, draft.controls_message_id)
    rendered = Rendered(
        None,
        None,
        split_for_telegram([*blocks, "", t("share.preview_hint")], MAX_TEXT),
        draft.photo_file_ids,
    )
    controls = buttons(
        [
            (t("share.button.send"), build(Action.MODEL_SEND)),
            (t("share.button.cancel"), build(Action.MODEL_CANCEL)),
        ]
    )
    sent = await send_rendered(context.bot, chat_id, rendered, controls)
    context.drafts.good_model = replace(
        draft, controls_message_id=sent.message_id if sent else None, media_group=None
    )
    return PREVIEW


def review_buttons(model_id: int) -> Buttons:
    """The "✅ Duyệt" / "❌ Không duyệt" buttons under the model sent to officers."""
    return (
        (
            (N_("model.button.approve"), build(Action.MODEL_APPROVE, model_id)),
            (N_("model.button.reject"), build(Action.MODEL_REJECT, model_id)),
        ),
    )


async def send_share(update: Update, context: BotContext) -> int:
    """Handle "📤 Gửi": store the model and send it to the officers through the outbox."""
    t = context.t
    query = update.callback_query
    assert query is not None and query.message is not None
    draft = _share(context)
    if query.message.message_id != draft.controls_message_id:
        await query.answer(t.plain("button.expired"))
        await remove_buttons(query)
        return _state(context)
    await query.answer()
    await remove_buttons(query)
    submitted = await submit_model(
        context.deps.db,
        context.deps.outbox,
        Sharing(
            draft.target,
            Reporter(context.who.user_id, draft.author_name or display_name(update)),
            draft.text,
            draft.photo_file_ids,
            update.update_id,
        ),
        now=now_utc(),
        review_buttons=review_buttons,
    )
    await message_of(update).reply_text(t("share.sent", unit=submitted.model.unit_name))
    return _end_share(context)


async def cancel_share(update: Update, context: BotContext) -> int:
    """Handle "Hủy" or /huy: nothing is sent."""
    draft = context.drafts.good_model
    query = update.callback_query
    if query is not None:
        await query.answer()
        await remove_buttons(query)
    elif draft is not None:
        await remove_buttons_of(update, message_of(update).chat_id, draft.controls_message_id)
    await message_of(update).reply_text(context.t("share.cancelled"))
    return _end_share(context)


async def share_timed_out(update: object, context: BotContext) -> int:
    """Tell whoever was sharing that nothing was sent: a photo they send now is evidence."""
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
        draft = context.drafts.good_model
        if draft is not None:
            await remove_buttons_of(update, chat_id, draft.controls_message_id)
        await context.bot.send_message(chat_id, context.t("share.timeout"))
    return _end_share(context)


def build_share_conversation(shared: SharedState, timeout_seconds: int) -> Conversation:
    """The /chiase conversation: text and photos in any order, then the preview."""
    typed = typed_text()
    collecting: list[BaseHandler[Update, BotContext, object]] = [
        MessageHandler(typed, receive_text),
        MessageHandler(filters.PHOTO, receive_photo),
        MessageHandler(filters.Document.ALL | MEDIA, receive_other),
        CallbackQueryHandler(show_preview, pattern=pattern(Action.MODEL_PREVIEW)),
    ]
    return Conversation(
        shared=shared,
        entry_points=[
            CommandHandler("chiase", start_share),
            CallbackQueryHandler(start_share, pattern=pattern(Action.MODEL_START)),
        ],
        states={
            COLLECT: collecting,
            PREVIEW: [
                *collecting,
                CallbackQueryHandler(send_share, pattern=pattern(Action.MODEL_SEND)),
            ],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, share_timed_out)],
        },
        fallbacks=[
            CommandHandler("huy", cancel_share),
            CallbackQueryHandler(cancel_share, pattern=pattern(Action.MODEL_CANCEL)),
            CommandHandler("chiase", start_share),
        ],
        conversation_timeout=timeout_seconds,
        name="good_model",
    )
