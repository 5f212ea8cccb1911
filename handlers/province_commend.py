"""/bieuduong for a province officer or an admin: the communes ranked, sent to their officers."""

from __future__ import annotations

from telegram import Message, Update

from bot.services.recognition.province_commend import (
    ProvinceCommendation,
    merit_values,
    province_commendation,
    send_province_commendation,
)
from bot.telegram.context import BotContext
from bot.telegram.ui.callbacks import Action, build
from bot.telegram.ui.keyboards import buttons
from bot.texts import Html
from bot.texts.recognition import province_commend_lines
from handlers.common import message_of, now_utc, remove_buttons
from handlers.province import current_view


async def _listed(context: BotContext) -> ProvinceCommendation:
    """The communes the current figures propose."""
    settings = context.deps.settings
    return province_commendation(
        await current_view(context), target=settings.target_percent, top=settings.commend_top
    )


async def _proposal(context: BotContext) -> tuple[Html, bool]:
    """The proposed list's text, and whether it has any commune."""
    t, settings = context.t, context.deps.settings
    listed = await _listed(context)
    values = [merit_values(merit) for merit in listed.merits]
    lines = province_commend_lines(t, values, settings.target_percent)
    head = t("province.commend.proposal", period=listed.period.label)
    return Html("\n".join([head, *lines] if lines else [head, t("province.commend.none")])), bool(
        lines
    )


async def show_province_commendation(update: Update, context: BotContext) -> None:
    """The communes the figures propose, with "📤 Gửi tới cán bộ các xã"."""
    text, proposed = await _proposal(context)
    send = buttons([(context.t("province.commend.button.send"), build(Action.PROVINCE_COMMEND))])
    await message_of(update).reply_text(text, reply_markup=send if proposed else None)


async def send_province_list(update: Update, context: BotContext) -> None:
    """Handle "📤 Gửi tới cán bộ các xã": the list as it stands now, once per message."""
    t, settings = context.t, context.deps.settings
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    sent = await send_province_commendation(
        context.deps.db,
        context.deps.outbox,
        await _listed(context),
        province=settings.province_name,
        target=settings.target_percent,
        actor_user_id=context.who.user_id,
        now=now_utc(),
        control=(query.message.chat.id, query.message.message_id),
    )
    if sent is None:
        await query.answer(t.plain("button.expired"))
        return
    if not sent:
        await query.answer(t.plain("province.commend.nobody"), show_alert=True)
        return
    await query.answer(t.plain("province.commend.sent", officers=sent))
    await remove_buttons(query)
