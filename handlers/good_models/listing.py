"""/mohinh and "🔎": the models anyone registered may open, and each one as units see it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update

from bot.services.recognition.good_models import (
    ModelView,
    find_model,
    list_models,
    spread_params,
)
from bot.telegram.context import BotContext
from bot.telegram.outbox.sending import send_rendered
from bot.telegram.ui.callbacks import Action, build, int_arg
from bot.telegram.ui.keyboards import buttons
from bot.texts import N_, Html, Translator
from bot.texts.directives import MAX_TEXT, Rendered
from bot.texts.formatting import split_for_telegram
from bot.texts.recognition import LAYOUTS
from handlers.common import (
    callback_data,
    message_of,
    reply,
)
from handlers.good_models.province import offer_province_spread
from handlers.good_models.review import say_state, send_model, show_approved
from handlers.good_models.sharing import review_buttons
from handlers.province import scope_name
from models import GoodModelStatus, Role

# How many models /mohinh lists (the newest).
LISTED = 10
STAFF_ROLES = (Role.OFFICER, Role.ADMIN)
# What anyone registered may open from /mohinh.
PUBLIC = (GoodModelStatus.APPROVED, GoodModelStatus.SPREAD)


def _is_staff(context: BotContext) -> bool:
    """Officers and admins review models."""
    return context.who.role in STAFF_ROLES


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
            await scope_name(context),
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
        await show_approved(update, context, model)
        await offer_province_spread(update, context, model.model_id)
        return
    if model.status == GoodModelStatus.REJECTED:
        await say_state(update, context, model)
        return
    await send_model(context, chat_id, model, preview=False)
    if staff:
        await offer_province_spread(update, context, model.model_id)
