"""The province's /thongke (one line per commune) and the drill-down into one commune.

Whether a view is the province's or a commune's is decided by the sender's scope: a commune
officer is narrowed to their commune by the gate (models/scope.py), so naming another commune
finds nothing and gets one line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from datetime import datetime

from telegram import Update

from bot.services.reports.periods import DeadlineRule
from bot.services.stats.export_data import export_data
from bot.services.stats.province import (
    CommuneLine,
    ProvinceView,
    commune_by_code,
    commune_line,
    communes_in_order,
    current_commune_name,
    is_province,
    nudge_commune_officers,
    province_view,
)
from bot.telegram.context import BotContext
from bot.telegram.ui.callbacks import Action, args_of, build
from bot.telegram.ui.keyboards import buttons
from bot.texts import Html, Translator
from bot.texts.formatting import split_for_telegram
from handlers.common import callback_data, message_of, now_utc
from models import scope

# Shows one commune's view under the given heading name; `controls` adds its buttons.
CommuneShow = Callable[[Update, BotContext, str, bool], Awaitable[None]]


async def scope_name(context: BotContext) -> str:
    """The commune the sender's view is about: their own in a province, else COMMUNE_NAME."""
    return await current_commune_name(context.deps.db, context.deps.settings.commune_name)


async def sees_whole_province(context: BotContext) -> bool:
    """Whether the sender sees a whole province (not one commune, nor a one-commune bot)."""
    return context.who.commune_id is None and await is_province(context.deps.db)


async def speaker(context: BotContext) -> tuple[str, str | None]:
    """Whom the sender's directive speaks for: (commune name, province name when provincial)."""
    if await sees_whole_province(context):
        return context.deps.settings.commune_name, context.deps.settings.province_name
    return await scope_name(context), None


async def drill_down(update: Update, context: BotContext, code: str, show: CommuneShow) -> None:
    """`/thongke CODE`: one commune's view, narrowed to it; another's is refused in one line."""
    commune = await commune_by_code(context.deps.db, code)
    if commune is None:
        t = context.t
        refused = (
            t("province.not_yours", code=code)
            if context.who.commune_id is not None
            else t("province.unknown", code=code)
        )
        await message_of(update).reply_text(refused)
        return
    # Its buttons would act outside this narrowing, later: only reading ones carry the commune.
    with scope.narrowed(commune.id):
        await show(update, context, commune.short_name, False)


def drilled_commune() -> int:
    """The commune a drill-down is narrowed to now, for its buttons to carry."""
    return scope.current_commune.get() or scope.NOWHERE


async def drill_scope(context: BotContext, commune_id: int | None) -> AbstractContextManager[None]:
    """A drill-down button's narrowing, for a sender who sees the whole province only.

    Anyone else keeps the gate's narrowing: a commune id forged into their button changes
    nothing, since it never replaces their own commune.
    """
    if commune_id is None or not await sees_whole_province(context):
        return contextlib.nullcontext()
    return scope.narrowed(commune_id)


def _line(t: Translator, rank: int, line: CommuneLine) -> Html:
    """One commune: rank, name and code, share, units reported and on time."""
    return t(
        "province.line",
        mark="⚠️ " if line.lagging else "",
        rank=str(rank),
        name=line.name,
        code=line.code,
        percent=t.percent(line.percent) if line.percent is not None else "—",
        enrolled=line.enrolled,
        adults=line.adults,
        reported=line.reported,
        units=line.units,
        on_time=line.on_time,
    )


def render_province(t: Translator, view: ProvinceView, province: str) -> list[Html]:
    """The province's /thongke, cut into messages Telegram accepts."""
    reported = sum(line.reported for line in view.communes)
    units = sum(line.units for line in view.communes)
    head = t(
        "province.summary",
        province=province,
        period=view.period.label,
        communes=len(view.communes),
        enrolled=view.enrolled,
        adults=view.adults,
        percent=t.percent(view.percent) if view.percent is not None else "—",
        reported=reported,
        units=units,
    )
    lines = [_line(t, rank, line) for rank, line in enumerate(view.communes, start=1)]
    blocks: list[str] = [head, *lines, t("province.footer")]
    return [Html(part) for part in split_for_telegram(blocks, separator="\n")]


# Telegram shows up to 100 buttons; the laggiest communes get one, the rest are named above.
MAX_NUDGE_BUTTONS = 40


def _late_communes(view: ProvinceView) -> list[CommuneLine]:
    """Communes with units yet to report, the least complete first."""
    late = [line for line in view.communes if line.reported < line.units]
    return sorted(late, key=lambda line: (line.completeness, line.code))


async def current_view(context: BotContext, now: datetime | None = None) -> ProvinceView:
    """Every commune's line for the current period, as the settings count periods."""
    settings = context.deps.settings
    return await province_view(
        context.deps.db,
        now or now_utc(),
        settings.tz,
        settings.report_period,
        DeadlineRule.from_settings(settings),
    )


async def by_scope(
    update: Update,
    context: BotContext,
    commune_view: CommuneShow,
    whole: Callable[[Update, BotContext], Awaitable[None]],
) -> None:
    """The sender's commune; a province's whole view; or, in a province, `/command CODE`.

    A one-commune deployment ignores words after the command, as it always did.
    """
    provincial = await is_province(context.deps.db)
    if context.args and provincial:
        await drill_down(update, context, context.args[0], commune_view)
    elif provincial and context.who.commune_id is None:
        await whole(update, context)
    else:
        await commune_view(update, context, await scope_name(context), True)


async def show_province_late(update: Update, context: BotContext) -> None:
    """`/chuabaocao` for the province: communes with late units, each with "🔔 Nhắc cán bộ"."""
    t, settings = context.t, context.deps.settings
    view = await current_view(context)
    late = _late_communes(view)
    if not late:
        await message_of(update).reply_text(t("late.all_reported"))
        return
    head = t(
        "province.late_header",
        period=view.period.label,
        province=settings.province_name,
        communes=len(late),
        late=sum(line.units - line.reported for line in late),
    )
    lines = [
        t(
            "province.late_line",
            name=line.name,
            code=line.code,
            late=line.units - line.reported,
            units=line.units,
        )
        for line in late
    ]
    nudges = [
        [
            (
                t.plain("province.button.nudge", name=line.name),
                build(Action.PROVINCE_NUDGE, line.code),
            )
        ]
        for line in late[:MAX_NUDGE_BUTTONS]
    ]
    parts = split_for_telegram([head, *lines, t("province.late_footer")], separator="\n")
    for index, part in enumerate(parts):
        markup = buttons(*nudges) if index == len(parts) - 1 else None
        await message_of(update).reply_text(part, reply_markup=markup)


async def nudge_commune(update: Update, context: BotContext) -> None:
    """Handle "🔔 Nhắc cán bộ xã": a line to that commune's officers, or why not."""
    t = context.t
    query = update.callback_query
    assert query is not None
    [code] = args_of(callback_data(update), Action.PROVINCE_NUDGE)
    now = now_utc()
    found = await commune_line(context.deps.db, code, await current_view(context, now))
    if found is None:  # another commune, for a commune officer: not in their scope
        await query.answer(t.plain("province.unknown", code=code), show_alert=True)
        return
    commune, line, period = found
    nudged = await nudge_commune_officers(
        context.deps.db,
        context.deps.outbox,
        commune,
        line,
        period,
        actor_user_id=context.who.user_id,
        now=now,
    )
    if not nudged.officers:
        await query.answer(t.plain("province.no_officers", name=commune.name), show_alert=True)
        return
    await query.answer(t.plain("province.nudged", name=commune.name, officers=nudged.officers))


async def send_province_excel(update: Update, context: BotContext) -> None:
    """`/xuatexcel` for the province, as XLSX and PDF: communes ranked, then each one's."""
    from bot.documents.province_pdf import province_pdf
    from bot.documents.province_xlsx import CommuneReport, build_province_workbook
    from bot.documents.report_pdf import report_pdf
    from bot.documents.report_table import Signatures

    t, settings, db = context.t, context.deps.settings, context.deps.db
    now = now_utc()
    view = await current_view(context, now)
    reports = []
    for commune in await communes_in_order(db):
        # Each commune's sheet is read as its own officers read it: narrowed to it.
        with scope.narrowed(commune.id):
            data = await export_data(db, now, settings.tz, settings.report_period)
        reports.append(CommuneReport(commune.code, commune.short_name, data))
    signatures = Signatures.from_settings(settings)
    workbook = build_province_workbook(
        view, reports, settings.province_name, signatures, settings.tz, t
    )
    name = f"bao-cao-tinh-{now.astimezone(settings.tz):%Y-%m-%d}"
    await message_of(update).reply_document(
        workbook,
        filename=f"{name}.xlsx",
        caption=t("province.xlsx_caption", period=view.period.label, communes=len(reports)),
    )
    pages = [report_pdf(r.data, r.name, signatures, settings.tz, t) for r in reports]
    await message_of(update).reply_document(
        province_pdf(view, pages, settings.province_name, t),
        filename=f"{name}.pdf",
        caption=t("pdf.caption", period=view.period.label),
    )


async def show_province(update: Update, context: BotContext) -> None:
    """`/thongke` for a province officer or an admin: every commune, ranked."""
    view = await current_view(context)
    for part in render_province(context.t, view, context.deps.settings.province_name):
        await message_of(update).reply_text(part)
