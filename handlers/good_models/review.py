"""Officers review a shared model: approve or refuse it, retitle it, choose its audience, spread."""

from __future__ import annotations

from dataclasses import replace

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.services.broadcasts.audience import ALL, CO_QUAN, THON, Audience, count_audience
from bot.services.recognition.good_models import (
    MAX_REASON,
    MAX_TITLE,
    ModelView,
    Reviewed,
    ReviewOutcome,
    approve_model,
    choose_model_audience,
    find_model,
    reject_model,
    retitle_model,
    spread_model,
    spread_params,
)
from bot.telegram.context import BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.drafts import ModelReviewDraft
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.outbox.sending import send_rendered
from bot.telegram.ui.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.ui.keyboards import ack_keyboard, buttons
from bot.telegram.ui.reply_keyboard import typed_text
from bot.texts import N_, Translator
from bot.texts.directives import MAX_TEXT, Rendered
from bot.texts.formatting import split_for_telegram
from bot.texts.recognition import LAYOUTS
from handlers.common import (
    callback_data,
    message_of,
    now_utc,
    remove_buttons,
    remove_buttons_of,
    reply,
)
from handlers.picker import PickerActions, show_unit_picker
from handlers.province import scope_name
from models import GoodModelStatus

# The review conversation (officers): typed answers and the unit picker.
REASON, TITLE, AUDIENCE, PICK = range(4)
PICKER = PickerActions(Action.MODEL_PICK, Action.MODEL_PAGE, Action.MODEL_PICKED)
NAMES_SHOWN = 3
AUDIENCE_LABELS = {
    ALL: N_("audience.all"),
    THON: N_("audience.thon"),
    CO_QUAN: N_("audience.co_quan"),
}


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


async def say_state(update: Update, context: BotContext, model: ModelView | None) -> None:
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
        await show_approved(update, context, model)


async def send_model(
    context: BotContext, chat_id: int, model: ModelView, *, preview: bool
) -> Message | None:
    """The model as units receive it: photos, then the text (a preview shows "✅ Đã nhận")."""
    t, settings = context.t, context.deps.settings
    blocks = LAYOUTS[N_("model.spread")](
        t, spread_params(model), await scope_name(context), settings.course_url
    )
    rendered = Rendered(
        None, None, split_for_telegram(list(blocks), MAX_TEXT), model.photo_file_ids
    )
    markup = ack_keyboard(t, 0) if preview else None
    return await send_rendered(context.bot, chat_id, rendered, markup)


async def show_approved(update: Update, context: BotContext, model: ModelView) -> None:
    """The approved model as units will see it, then "📢 Lan tỏa", "✏️ Sửa tiêu đề", "👥 Gửi tới"."""
    t = context.t
    chat_id = message_of(update).chat_id
    previous = context.drafts.model_review
    if previous is not None:
        await remove_buttons_of(update, chat_id, previous.controls_message_id)
    await send_model(context, chat_id, model, preview=True)
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
        await show_approved(update, context, result.model)
    else:
        await say_state(update, context, result.model)
    return ConversationHandler.END


async def ask_reason(update: Update, context: BotContext) -> int:
    """Handle "❌ Không duyệt": ask for a short reason to send back to the unit."""
    query = update.callback_query
    assert query is not None and query.message is not None
    model = await find_model(context.deps.db, int_arg(callback_data(update), Action.MODEL_REJECT))
    if model is None or model.status != GoodModelStatus.SUBMITTED:
        await query.answer()
        await remove_buttons(query)
        await say_state(update, context, model)
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
        await say_state(update, context, result.model)
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
    await say_state(update, context, model)
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
        context.deps.db,
        context.deps.outbox,
        _review(context).model_id,
        title,
        actor_user_id=context.who.user_id,
        now=now_utc(),
    )
    await _after_change(update, context, result)
    return ConversationHandler.END


async def _after_change(update: Update, context: BotContext, result: Reviewed) -> None:
    """Show the approved model again after a change, or say why nothing changed."""
    if result.outcome == ReviewOutcome.DONE and result.model is not None:
        await show_approved(update, context, result.model)
    else:
        await say_state(update, context, result.model)


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
    await show_unit_picker(update, context, draft.picked, draft.page, PICKER, edit=edit)
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
        await say_state(update, context, result.model)
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
