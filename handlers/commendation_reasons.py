"""/bieuduong's "✏️ Lý do": why the officer commends a unit added by hand, typed in one line.

Without it, such a unit is praised "được cán bộ xã đề nghị biểu dương"; with it, the list, the
unit's congratulation and the PDF read the officer's words.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.telegram.context import BotApplication, BotContext
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.ui.callbacks import Action, int_arg, pattern
from bot.telegram.ui.reply_keyboard import typed_text
from handlers.commendations import current_draft, show_again, view_of
from handlers.common import callback_data, message_of, reply
from handlers.staff import staff_only

REASON = 0
# Room for a sentence ("vận động 30 hộ cài VNeID trong một tuần") in a list line and a PDF cell.
MAX_REASON = 200


async def ask_reason(update: Update, context: BotContext) -> int:
    """Handle "✏️ Lý do: <unit>": ask for the reason, in one line."""
    draft = await current_draft(update, context)
    if draft is None:
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    unit_id = int_arg(callback_data(update), Action.COMMEND_REASON)
    named = {c.facts.unit_id: c.facts.name for c in (await view_of(context, draft)).candidates}
    if unit_id not in named:
        await query.answer(context.t.plain("button.expired"))
        return ConversationHandler.END
    context.drafts.commendation = replace(draft, reason_unit_id=unit_id)
    await reply(update, context.t("commend.ask_reason", unit=named[unit_id], limit=MAX_REASON))
    return REASON


async def receive_reason(update: Update, context: BotContext) -> int:
    """The typed reason: refused when empty or too long, else kept and the list shown again."""
    draft = context.drafts.commendation
    if draft is None or draft.reason_unit_id is None:
        await reply(update, context.t("commend.reason_lost"))
        return ConversationHandler.END
    reason = " ".join((message_of(update).text or "").split())
    if not reason or len(reason) > MAX_REASON:
        await reply(update, context.t("commend.reason_bad", limit=MAX_REASON))
        return REASON
    reasons = {**dict(draft.reasons), draft.reason_unit_id: reason}
    await show_again(
        update, context, replace(draft, reasons=tuple(reasons.items()), reason_unit_id=None)
    )
    return ConversationHandler.END


async def cancel_reason(update: Update, context: BotContext) -> int:
    """/huy while typing: the list stays as it was."""
    draft = context.drafts.commendation
    if draft is not None:
        context.drafts.commendation = replace(draft, reason_unit_id=None)
    await reply(update, context.t("commend.reason_cancelled"))
    return ConversationHandler.END


def build_conversation(shared: SharedState, timeout_seconds: int) -> Conversation:
    """The "✏️ Lý do" button and the typed reason."""
    return Conversation(
        shared=shared,
        entry_points=[
            CallbackQueryHandler(ask_reason, pattern=pattern(Action.COMMEND_REASON, r"\d+"))
        ],
        states={REASON: [MessageHandler(typed_text(), receive_reason)]},
        fallbacks=[CommandHandler("huy", cancel_reason)],
        conversation_timeout=timeout_seconds,
        name="commend_reason",
    )


def register(application: BotApplication) -> None:
    """Install the reason's conversation (the gate checked the button; each step re-checks)."""
    timeout = application.bot_data.settings.conversation_timeout_seconds
    application.add_handler(
        staff_only(
            build_conversation(application.bot_data.shared_state, timeout),
            command="bieuduong",
            slot="commendation",
        )
    )
