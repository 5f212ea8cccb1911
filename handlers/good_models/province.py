"""The province officer's button to spread a good model opened from /mohinh to every commune."""

from __future__ import annotations

from telegram import Update

from bot.services.recognition.province_spread import ProvinceOutcome, spread_to_province
from bot.telegram.context import BotContext
from bot.telegram.ui.callbacks import Action, build, int_arg
from bot.telegram.ui.keyboards import buttons
from bot.texts import N_
from handlers.common import callback_data, message_of, now_utc, remove_buttons
from handlers.province import speaker

REFUSALS = {
    ProvinceOutcome.ALREADY: N_("model.province_already"),
    ProvinceOutcome.GONE: N_("model.gone"),
    ProvinceOutcome.NOT_READY: N_("model.province_not_ready"),
    ProvinceOutcome.NOT_PROVINCE: N_("model.province_not_province"),
    ProvinceOutcome.NOBODY: N_("model.province_nobody"),
}


async def offer_province_spread(update: Update, context: BotContext, model_id: int) -> None:
    """Under an approved model, for a province officer or an admin of a province only."""
    _, province = await speaker(context)
    if province is None:
        return
    t = context.t
    markup = buttons([(t("model.button.province"), build(Action.MODEL_PROVINCE, model_id))])
    await message_of(update).reply_text(t("model.province_offer"), reply_markup=markup)


async def spread_province(update: Update, context: BotContext) -> None:
    """Handle "📢 Lan tỏa toàn tỉnh": queue the model to the other communes, once."""
    t, settings = context.t, context.deps.settings
    query = update.callback_query
    assert query is not None
    spread = await spread_to_province(
        context.deps.db,
        context.deps.outbox,
        int_arg(callback_data(update), Action.MODEL_PROVINCE),
        province=settings.province_name,
        actor_user_id=context.who.user_id,
        now=now_utc(),
    )
    refusal = REFUSALS.get(spread.outcome)
    if refusal is not None:
        await query.answer(t.plain(refusal), show_alert=True)
        return
    await query.answer()
    await remove_buttons(query)
    await message_of(update).reply_text(
        t("model.province_done", title=spread.title, unit=spread.unit, recipients=spread.recipients)
    )
