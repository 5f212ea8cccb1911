"""/chiase (share a good model), its review by officers ("✅ Duyệt", "📢 Lan tỏa"), /mohinh."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services.broadcasts.audience import ALL, CO_QUAN, THON, Audience, count_audience
from bot.services.recognition.good_models import (
    MAX_BODY,
    MAX_PHOTOS,
    MAX_REASON,
    MAX_TITLE,
    Buttons,
    ModelView,
    Reviewed,
    ReviewOutcome,
    Sharing,
    approve_model,
    choose_model_audience,
    find_model,
    list_models,
    reject_model,
    retitle_model,
    split_title,
    spread_model,
    spread_params,
    submit_model,
)
from bot.services.registry.units import unit_choices
from bot.services.reports.reports import Refused, Reporter, ReportRefused, read_command
from bot.telegram.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversation import Conversation
from bot.telegram.drafts import ModelDraft, ModelReviewDraft
from bot.telegram.keyboards import ack_keyboard, buttons
from bot.telegram.reply_keyboard import typed_text
from bot.telegram.sending import send_rendered
from bot.telegram.shared_state import SharedState
from bot.texts import N_, Html, Translator
from bot.texts.directives import MAX_TEXT, Rendered
from bot.texts.formatting import split_for_telegram
from bot.texts.recognition import LAYOUTS, model_blocks
from handlers.common import (
    MEDIA,
    callback_data,
    display_name,
    media_key,
    message_of,
    now_utc,
    remove_buttons,
    remove_buttons_of,
    reply,
)
from handlers.picker import PickerActions, picker_keyboard, redraw_picker
from handlers.staff import staff_only
from models import GoodModelStatus, Role

# The sharing conversation (heads, agencies, officers for a unit).
COLLECT, PREVIEW = range(2)
# The review conversation (officers): typed answers and the unit picker.
REASON, TITLE, AUDIENCE, PICK = range(4)
PICKER = PickerActions(Action.MODEL_PICK, Action.MODEL_PAGE, Action.MODEL_PICKED)
LISTED = 10
NAMES_SHOWN = 3
STAFF_ROLES = (Role.OFFICER, Role.ADMIN)
# What anyone registered may open from /mohinh.
PUBLIC = (GoodModelStatus.APPROVED, GoodModelStatus.SPREAD)

SHARE_REFUSALS = {
    Refused.NOT_A_REPORTER: N_("share.refused.not_a_reporter"),
    Refused.OTHER_UNIT: N_("share.refused.other_unit"),
    Refused.STAFF_NEEDS_UNIT: N_("share.refused.staff_needs_unit"),
    Refused.UNKNOWN_UNIT: N_("share.refused.unknown_unit"),
}
AUDIENCE_LABELS = {
    ALL: N_("audience.all"),
    THON: N_("audience.thon"),
    CO_QUAN: N_("audience.co_quan"),
}


def _is_staff(context: BotContext) -> bool:
    """Officers and admins review models."""
    return context.who.role in STAFF_ROLES


# ── Sharing: /chiase ────────────────────────────────────────────────────────────────────────


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
        t, draft.target.unit_name, title, body, settings.commune_name, settings.course_url
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


# ── Review: "✅ Duyệt", "❌ Không duyệt", "✏️ Sửa tiêu đề", "👥 Gửi tới", "📢 Lan tỏa" ────────


def _review(context: BotContext) -> ModelReviewDraft:
    """The model this officer is reviewing."""
    draft = context.drafts.model_review
    assert draft is not None
    return draft


def _audience_label(t: Translator, audience: Audience, names: tuple[str, ...]) -> str:
    """A group's name, or the chosen units (a few, then how many more)."""
    if audience.kind != "units":
        return t.plain(AUDIENCE_LABELS.get(audience.kind, N_("audience.all")))
    if len(names) <= NAMES_SHOWN:
        return t.join(list(names))
    shown = t.join(list(names[:NAMES_SHOWN]))
    return t.plain("audience.and_more", units=shown, more=len(names) - NAMES_SHOWN)


async def _say_state(update: Update, context: BotContext, model: ModelView | None) -> None:
    """Tell an officer where a model already stands (another officer may have been first).

    Any button press was answered already.
    """
    t, tz = context.t, context.deps.settings.tz
    if model is None:
        await message_of(update).reply_text(t("model.gone"))
    elif model.status == GoodModelStatus.SPREAD and model.spread_at is not None:
        await message_of(update).reply_text(
            t("model.already_spread", title=model.title, when=t.datetime(model.spread_at, tz))
        )
    elif model.status == GoodModelStatus.REJECTED:
        await message_of(update).reply_text(
            t("model.already_rejected", title=model.title, reason=model.reason or "—")
        )
    elif model.status == GoodModelStatus.SUBMITTED:
        await message_of(update).reply_text(t("model.not_approved", title=model.title))
    else:
        await _show_approved(update, context, model)


async def _send_model(
    context: BotContext, chat_id: int, model: ModelView, *, preview: bool
) -> Message | None:
    """The model as units receive it: photos, then the text (a preview shows "✅ Đã nhận")."""
    t, settings = context.t, context.deps.settings
    blocks = LAYOUTS[N_("model.spread")](
        t, spread_params(model), settings.commune_name, settings.course_url
    )
    rendered = Rendered(
        None, None, split_for_telegram(list(blocks), MAX_TEXT), model.photo_file_ids
    )
    markup = ack_keyboard(t, 0) if preview else None
    return await send_rendered(context.bot, chat_id, rendered, markup)


async def _show_approved(update: Update, context: BotContext, model: ModelView) -> None:
    """The approved model as units will see it, then "📢 Lan tỏa", "✏️ Sửa tiêu đề", "👥 Gửi tới"."""
    t = context.t
    chat_id = message_of(update).chat_id
    previous = context.drafts.model_review
    if previous is not None:
        await remove_buttons_of(update, chat_id, previous.controls_message_id)
    await _send_model(context, chat_id, model, preview=True)
    size = await count_audience(context.deps.db, model.audience)
    label = _audience_label(t, model.audience, size.names)
    controls = buttons(
        [(t("model.button.spread"), build(Action.MODEL_SPREAD, model.model_id))],
        [
            (t("model.button.title"), build(Action.MODEL_TITLE, model.model_id)),
            (
                t.plain("model.button.audience", audience=label),
                build(Action.MODEL_AUDIENCE, model.model_id),
            ),
        ],
    )
    sent = await context.bot.send_message(
        chat_id,
        t(
            "model.controls",
            unit=model.unit_name,
            audience=label,
            units=size.units,
            people=size.people,
        ),
        reply_markup=controls,
    )
    context.drafts.model_review = ModelReviewDraft(
        model.model_id, controls_message_id=sent.message_id
    )


async def approve(update: Update, context: BotContext) -> int:
    """Handle "✅ Duyệt": approve, thank the unit, and show the model as units will see it."""
    query = update.callback_query
    assert query is not None
    model_id = int_arg(callback_data(update), Action.MODEL_APPROVE)
    result = await approve_model(
        context.deps.db,
        context.deps.outbox,
        model_id,
        actor_user_id=context.who.user_id,
        now=now_utc(),
    )
    await query.answer()
    await remove_buttons(query)
    if result.outcome == ReviewOutcome.DONE and result.model is not None:
        await _show_approved(update, context, result.model)
    else:
        await _say_state(update, context, result.model)
    return ConversationHandler.END


async def ask_reason(update: Update, context: BotContext) -> int:
    """Handle "❌ Không duyệt": ask for a short reason to send back to the unit."""
    query = update.callback_query
    assert query is not None and query.message is not None
    model = await find_model(context.deps.db, int_arg(callback_data(update), Action.MODEL_REJECT))
    if model is None or model.status != GoodModelStatus.SUBMITTED:
        await query.answer()
        await remove_buttons(query)
        await _say_state(update, context, model)
        return ConversationHandler.END
    context.drafts.model_review = ModelReviewDraft(
        model.model_id, controls_message_id=query.message.message_id
    )
    await reply(update, context.t("model.ask_reason", unit=model.unit_name, title=model.title))
    return REASON


async def receive_reason(update: Update, context: BotContext) -> int:
    """Refuse the model with the reason, which goes back to the unit kindly."""
    t = context.t
    reason = " ".join((message_of(update).text or "").split())
    if not reason or len(reason) > MAX_REASON:
        await reply(update, t("model.reason_bad", limit=MAX_REASON))
        return REASON
    draft = _review(context)
    result = await reject_model(
        context.deps.db,
        context.deps.outbox,
        draft.model_id,
        reason,
        actor_user_id=context.who.user_id,
        now=now_utc(),
    )
    await remove_buttons_of(update, message_of(update).chat_id, draft.controls_message_id)
    context.drafts.model_review = None
    if result.outcome == ReviewOutcome.DONE and result.model is not None:
        await reply(update, t("model.rejected_done", unit=result.model.unit_name))
    else:
        await _say_state(update, context, result.model)
    return ConversationHandler.END


async def _approved_or_say(update: Update, context: BotContext, action: Action) -> ModelView | None:
    """The approved model a control button names, or None after saying where it stands."""
    query = update.callback_query
    assert query is not None
    model = await find_model(context.deps.db, int_arg(callback_data(update), action))
    if model is not None and model.status == GoodModelStatus.APPROVED:
        return model
    await query.answer()
    await remove_buttons(query)
    await _say_state(update, context, model)
    return None


async def ask_title(update: Update, context: BotContext) -> int:
    """Handle "✏️ Sửa tiêu đề": ask for the new title."""
    model = await _approved_or_say(update, context, Action.MODEL_TITLE)
    if model is None:
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None and query.message is not None
    context.drafts.model_review = ModelReviewDraft(
        model.model_id, controls_message_id=query.message.message_id
    )
    await reply(update, context.t("model.ask_title", unit=model.unit_name, title=model.title))
    return TITLE


async def receive_title(update: Update, context: BotContext) -> int:
    """Store the new title and show the model again."""
    title = " ".join((message_of(update).text or "").split())
    if not title or len(title) > MAX_TITLE:
        await reply(update, context.t("model.title_bad", limit=MAX_TITLE))
        return TITLE
    result = await retitle_model(
        context.deps.db, _review(context).model_id, title, actor_user_id=context.who.user_id
    )
    await _after_change(update, context, result)
    return ConversationHandler.END


async def _after_change(update: Update, context: BotContext, result: Reviewed) -> None:
    """Show the approved model again after a change, or say why nothing changed."""
    if result.outcome == ReviewOutcome.DONE and result.model is not None:
        await _show_approved(update, context, result.model)
    else:
        await _say_state(update, context, result.model)


async def ask_audience(update: Update, context: BotContext) -> int:
    """Handle "👥 Gửi tới": everyone, thôn/buôn, agencies, or chosen units."""
    model = await _approved_or_say(update, context, Action.MODEL_AUDIENCE)
    if model is None:
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None and query.message is not None
    context.drafts.model_review = ModelReviewDraft(
        model.model_id,
        picked=frozenset(model.audience.codes),
        controls_message_id=query.message.message_id,
    )
    t = context.t
    choices = buttons(
        [(t("audience.button.all"), build(Action.MODEL_AUDIENCE_SET, model.model_id, ALL))],
        [
            (t("audience.button.thon"), build(Action.MODEL_AUDIENCE_SET, model.model_id, THON)),
            (
                t("audience.button.co_quan"),
                build(Action.MODEL_AUDIENCE_SET, model.model_id, CO_QUAN),
            ),
        ],
        [(t("audience.button.pick"), build(Action.MODEL_AUDIENCE_SET, model.model_id, "pick"))],
    )
    await reply(update, t("audience.ask"), choices)
    return AUDIENCE


async def _set_audience(update: Update, context: BotContext, audience: Audience) -> int:
    """Store who the model goes to, and show it again."""
    result = await choose_model_audience(
        context.deps.db, _review(context).model_id, audience, actor_user_id=context.who.user_id
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _after_change(update, context, result)
    return ConversationHandler.END


async def set_audience(update: Update, context: BotContext) -> int:
    """A group, or open the unit picker."""
    _, choice = args_of(callback_data(update), Action.MODEL_AUDIENCE_SET)
    if choice == "pick":
        return await _show_picker(update, context, edit=False)
    return await _set_audience(update, context, Audience(choice))


async def _show_picker(update: Update, context: BotContext, *, edit: bool) -> int:
    """A page of units with checkmarks."""
    draft = _review(context)
    choices = [(u.code, u.name) for u in await unit_choices(context.deps.db)]
    markup = picker_keyboard(context.t, choices, draft.picked, draft.page, PICKER)
    if edit and update.callback_query is not None:
        await redraw_picker(update, markup)
    else:
        await reply(update, context.t("audience.pick"), markup)
    return PICK


async def toggle_unit(update: Update, context: BotContext) -> int:
    """Tick or untick one unit."""
    [code] = args_of(callback_data(update), Action.MODEL_PICK)
    draft = _review(context)
    picked = draft.picked - {code} if code in draft.picked else draft.picked | {code}
    context.drafts.model_review = replace(draft, picked=picked)
    return await _show_picker(update, context, edit=True)


async def turn_page(update: Update, context: BotContext) -> int:
    """Show another page of units."""
    page = int_arg(callback_data(update), Action.MODEL_PAGE)
    context.drafts.model_review = replace(_review(context), page=page)
    return await _show_picker(update, context, edit=True)


async def finish_picking(update: Update, context: BotContext) -> int:
    """Use the ticked units as the audience."""
    query = update.callback_query
    assert query is not None
    draft = _review(context)
    if not draft.picked:
        await query.answer(context.t.plain("audience.pick_none"), show_alert=True)
        return PICK
    await remove_buttons(query)
    return await _set_audience(update, context, Audience("units", tuple(sorted(draft.picked))))


async def spread(update: Update, context: BotContext) -> int:
    """Handle "📢 Lan tỏa": queue the model to its audience; this message shows the progress."""
    t = context.t
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    control = query.message
    result = await spread_model(
        context.deps.db,
        context.deps.outbox,
        int_arg(callback_data(update), Action.MODEL_SPREAD),
        actor_user_id=context.who.user_id,
        now=now_utc(),
        progress_chat_id=control.chat.id,
        progress_message_id=control.message_id,
    )
    if result.outcome == ReviewOutcome.NOBODY:
        await query.answer(t.plain("model.no_recipients"), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    if result.outcome != ReviewOutcome.DONE:
        await remove_buttons(query)
        await _say_state(update, context, result.model)
        return ConversationHandler.END
    context.drafts.model_review = None
    await context.bot.edit_message_text(
        t("broadcast.progress", done=0, total=result.recipients),
        chat_id=control.chat.id,
        message_id=control.message_id,
    )
    return ConversationHandler.END


async def cancel_review(update: Update, context: BotContext) -> int:
    """/huy while a reason or a title is asked: nothing changes."""
    context.drafts.model_review = None
    await reply(update, context.t("model.review_cancelled"))
    return ConversationHandler.END


def build_review_conversation(shared: SharedState, timeout_seconds: int) -> Conversation:
    """Officers' buttons under a shared model, and the questions some of them ask."""
    typed = typed_text()
    controls: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(approve, pattern=pattern(Action.MODEL_APPROVE, r"\d+")),
        CallbackQueryHandler(ask_reason, pattern=pattern(Action.MODEL_REJECT, r"\d+")),
        CallbackQueryHandler(ask_title, pattern=pattern(Action.MODEL_TITLE, r"\d+")),
        CallbackQueryHandler(ask_audience, pattern=pattern(Action.MODEL_AUDIENCE, r"\d+")),
        CallbackQueryHandler(spread, pattern=pattern(Action.MODEL_SPREAD, r"\d+")),
    ]
    return Conversation(
        shared=shared,
        entry_points=controls,
        states={
            REASON: [MessageHandler(typed, receive_reason)],
            TITLE: [MessageHandler(typed, receive_title)],
            AUDIENCE: [
                CallbackQueryHandler(
                    set_audience,
                    pattern=pattern(Action.MODEL_AUDIENCE_SET, r"\d+:(all|thon|co_quan|pick)"),
                )
            ],
            PICK: [
                CallbackQueryHandler(toggle_unit, pattern=pattern(Action.MODEL_PICK, ".+")),
                CallbackQueryHandler(turn_page, pattern=pattern(Action.MODEL_PAGE, r"\d+")),
                CallbackQueryHandler(finish_picking, pattern=pattern(Action.MODEL_PICKED)),
            ],
        },
        fallbacks=[CommandHandler("huy", cancel_review)],
        conversation_timeout=timeout_seconds,
        name="model_review",
    )


# ── /mohinh and "🔎" ────────────────────────────────────────────────────────────────────────


def _line(t: Translator, number: int, model: ModelView, tz: ZoneInfo) -> Html:
    """One model of the list: number, title, unit and when it was approved."""
    when = model.approved_at or model.created_at
    return t(
        "models.line",
        number=str(number),
        title=model.title,
        unit=model.unit_name,
        date=t.date(when.astimezone(tz).date()),
    )


async def show_models(update: Update, context: BotContext) -> None:
    """/mohinh: the approved models, newest first; officers also see those awaiting review."""
    t, settings = context.t, context.deps.settings
    staff = _is_staff(context)
    found = await list_models(context.deps.db, LISTED, with_pending=staff)
    lines: list[str] = []
    rows: list[list[tuple[str, str]]] = []
    if found.pending:
        lines += [t("models.pending_header", count=len(found.pending))]
        lines += [
            t("models.pending_line", number=str(n), title=m.title, unit=m.unit_name)
            for n, m in enumerate(found.pending, start=1)
        ]
        rows.append(
            [
                (
                    t.plain("models.pending_button", number=str(n)),
                    build(Action.MODEL_SHOW, m.model_id),
                )
                for n, m in enumerate(found.pending, start=1)
            ]
        )
        lines.append("")
    if not found.models:
        lines.append(t("models.none"))
    else:
        lines.append(t("models.title", total=found.total))
        lines += [_line(t, n, m, settings.tz) for n, m in enumerate(found.models, start=1)]
        if found.total > len(found.models):
            lines.append(t("models.more", count=found.total - len(found.models)))
        lines.append(t("models.hint"))
        numbers = [
            (t.plain("models.button", number=str(n)), build(Action.MODEL_SHOW, m.model_id))
            for n, m in enumerate(found.models, start=1)
        ]
        rows += [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    markup: InlineKeyboardMarkup | None = buttons(*rows) if rows else None
    await reply(update, "\n".join(lines), markup)


async def show_model(update: Update, context: BotContext) -> None:
    """Handle a number under /mohinh: the model in full, with its photos.

    Officers get the review buttons on one awaiting review, and the controls on one approved.
    """
    t = context.t
    query = update.callback_query
    assert query is not None
    model = await find_model(context.deps.db, int_arg(callback_data(update), Action.MODEL_SHOW))
    await query.answer()
    staff = _is_staff(context)
    chat_id = message_of(update).chat_id
    if model is None or (not staff and model.status not in PUBLIC):
        await message_of(update).reply_text(t("model.gone"))
        return
    if model.status == GoodModelStatus.SUBMITTED:
        settings = context.deps.settings
        blocks = LAYOUTS[N_("model.review")](
            t,
            {**spread_params(model), "author": model.author_name},
            settings.commune_name,
            settings.course_url,
        )
        rendered = Rendered(
            None, None, split_for_telegram(list(blocks), MAX_TEXT), model.photo_file_ids
        )
        markup = buttons(
            *[[(t.plain(key), data) for key, data in row] for row in review_buttons(model.model_id)]
        )
        await send_rendered(context.bot, chat_id, rendered, markup)
        return
    if model.status == GoodModelStatus.APPROVED and staff:
        await _show_approved(update, context, model)
        return
    if model.status == GoodModelStatus.REJECTED:
        await _say_state(update, context, model)
        return
    await _send_model(context, chat_id, model, preview=False)


def register(application: BotApplication) -> None:
    """Install /chiase, the officers' review buttons and /mohinh."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(build_share_conversation(application.bot_data.shared_state, timeout))
    application.add_handler(
        staff_only(
            build_review_conversation(application.bot_data.shared_state, timeout),
            command="bieuduong",
            slot="model_review",
        )
    )
    application.add_handler(CommandHandler("mohinh", show_models))
    application.add_handler(
        CallbackQueryHandler(show_model, pattern=pattern(Action.MODEL_SHOW, r"\d+"))
    )
