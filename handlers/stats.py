"""/thongke, /chuabaocao and /xuatexcel: what officers and admins see, send upward and print."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.services.broadcasts.chase import chase_now
from bot.services.reports.periods import DeadlineRule
from bot.services.stats.export_data import export_data
from bot.services.stats.stats import LateList, Summary, UnitStat, late_list, overview
from bot.telegram.callbacks import Action, build, int_arg, pattern
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.keyboards import buttons
from bot.telegram.reply_keyboard import label_filter
from bot.texts import Html, Translator
from bot.texts.directives import change_phrase
from bot.texts.formatting import split_for_telegram
from handlers.common import callback_data, message_of, now_utc

DETAIL_PAGE = 20
RANKED = 5


def _percent(t: Translator, value: float | None) -> str:
    """Render "38,2%", or "—" when unknown."""
    return t.percent(value) if value is not None else "—"


def _ranked(t: Translator, stat: UnitStat) -> Html:
    """One line of the top/bottom lists."""
    return t(
        "stats.ranked",
        unit=stat.name,
        percent=_percent(t, stat.percent),
        enrolled=stat.enrolled or 0,
    )


def render_summary(t: Translator, summary: Summary, commune: str) -> Html:
    """The /thongke text."""
    lines: list[str] = [
        t(
            "stats.summary",
            commune=commune,
            period=summary.period.label,
            adults=summary.adults,
            enrolled=summary.enrolled,
            percent=_percent(t, summary.percent),
            completed=summary.completed,
            change=change_phrase(t, summary.enrolled - summary.previous_enrolled),
            reported=summary.residential_reported,
            units=summary.residential_units,
            agencies_reported=summary.agency_reported,
            agencies=summary.agency_units,
            agencies_enrolled=summary.agency_enrolled,
        )
    ]
    if summary.top:
        lines += ["", t("stats.top"), *(_ranked(t, s) for s in summary.top[:RANKED])]
    if summary.bottom:
        lines += ["", t("stats.bottom"), *(_ranked(t, s) for s in summary.bottom[:RANKED])]
    return Html("\n".join(lines))


async def show_stats(update: Update, context: BotContext) -> None:
    """Send the summary text with its buttons, then the chart."""
    from bot.documents.chart import chart_png

    t, settings = context.t, context.deps.settings
    summary, stats = await overview(context.deps.db, now_utc(), settings.tz, settings.report_period)
    if not stats:
        await message_of(update).reply_text(t("stats.no_units"))
        return
    controls = buttons(
        [(t("button.detail"), build(Action.STATS_DETAIL, 0))],
        [
            (t("button.late"), build(Action.STATS_LATE)),
            (t("button.excel"), build(Action.STATS_XLSX)),
        ],
    )
    await message_of(update).reply_text(
        render_summary(t, summary, settings.commune_name), reply_markup=controls
    )
    bars = [(s.name, s.percent) for s in stats if s.residential and s.percent is not None]
    if bars:
        png = chart_png(
            [(name, value) for name, value in bars if value is not None],
            settings.target_percent,
            t.plain("chart.title", commune=settings.commune_name),
            t.plain("chart.period", period=summary.period.label),
            t,
        )
        await message_of(update).reply_photo(png)


def _detail_line(t: Translator, stat: UnitStat) -> Html:
    """One unit in "Chi tiết"."""
    return t(
        "stats.detail_line",
        mark="✅" if stat.reported_this_period else "⏳",
        unit=stat.name,
        enrolled=stat.enrolled or 0,
        adults=t.number(stat.adults) if stat.adults else "?",
        percent=_percent(t, stat.percent),
    )


async def show_detail(update: Update, context: BotContext) -> None:
    """A page of the per-unit table."""
    t, settings = context.t, context.deps.settings
    page = int_arg(callback_data(update), Action.STATS_DETAIL)
    _, stats = await overview(context.deps.db, now_utc(), settings.tz, settings.report_period)
    rows = sorted(stats, key=lambda s: (not s.residential, s.percent or -1.0))
    chunk = rows[page * DETAIL_PAGE : (page + 1) * DETAIL_PAGE]
    first = page * DETAIL_PAGE + 1
    lines = [t("stats.detail_header", first=first, last=first + len(chunk) - 1, total=len(rows))]
    lines += [_detail_line(t, s) for s in chunk]
    navigation = []
    if page > 0:
        navigation.append((t("button.previous"), build(Action.STATS_DETAIL, page - 1)))
    if (page + 1) * DETAIL_PAGE < len(rows):
        navigation.append((t("button.next"), build(Action.STATS_DETAIL, page + 1)))
    query = update.callback_query
    assert query is not None
    await query.answer()
    await message_of(update).reply_text(
        "\n".join(lines), reply_markup=buttons(navigation) if navigation else None
    )


def _late_lines(t: Translator, late: LateList, context: BotContext) -> list[str]:
    """The heading and one line per late unit."""
    tz = context.deps.settings.tz
    lines: list[str] = [
        t("late.header", period=late.period.label, count=len(late.late), total=late.units)
    ]
    for item in late.late:
        stat = item.stat
        lines.append(
            t(
                "late.line",
                unit=stat.name,
                contacts=t.join(item.contacts) if item.contacts else t.plain("stats.nobody"),
                last=t.date(stat.reported_at.astimezone(tz).date())
                if stat.reported_at
                else t.plain("late.never"),
            )
        )
    return lines


async def show_late(update: Update, context: BotContext) -> None:
    """The units with no report this period, their contacts and last report, and "Nhắc ngay"."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    t, settings = context.t, context.deps.settings
    late = await late_list(context.deps.db, now_utc(), settings.tz, settings.report_period)
    if not late.late:
        await message_of(update).reply_text(t("late.all_reported"))
        return
    nudge = buttons([(t("button.nudge"), build(Action.STATS_NUDGE))])
    chunks = split_for_telegram(_late_lines(t, late, context))
    for index, chunk in enumerate(chunks):
        last_chunk = index == len(chunks) - 1
        await message_of(update).reply_text(chunk, reply_markup=nudge if last_chunk else None)


async def nudge_late(update: Update, context: BotContext) -> None:
    """Handle "Nhắc ngay": queue a chase to every late unit's contacts via the outbox."""
    t, settings = context.t, context.deps.settings
    query = update.callback_query
    assert query is not None
    result = await chase_now(
        context.deps.db,
        context.deps.outbox,
        actor_user_id=context.who.user_id,
        now=now_utc(),
        tz=settings.tz,
        period_kind=settings.report_period,
        deadline_rule=DeadlineRule.from_settings(settings),
    )
    if result.late_units == 0:
        await query.answer(t.plain("late.all_reported"), show_alert=True)
        return
    if result.recipients == 0:
        await query.answer(t.plain("late.nobody_to_chase"), show_alert=True)
        return
    await query.answer()
    text = t("late.nudged", units=result.chased_units, people=result.recipients)
    if result.unreachable:
        text = Html(text + t("late.unreachable", count=result.unreachable))
    await message_of(update).reply_text(text)


async def send_excel(update: Update, context: BotContext) -> None:
    """The XLSX report as a document."""
    from bot.documents.xlsx import build_workbook

    if update.callback_query is not None:
        await update.callback_query.answer()
    t, settings = context.t, context.deps.settings
    now = now_utc()
    data = await export_data(context.deps.db, now, settings.tz, settings.report_period)
    period = data.summary.period
    await message_of(update).reply_document(
        build_workbook(data, settings.commune_name, settings.tz, t),
        filename=f"bao-cao-binh-dan-hoc-vu-so-{period.last_day:%Y-%m-%d}.xlsx",
        caption=t("xlsx.caption", period=period.label),
    )


def register(application: BotApplication) -> None:
    """Install the statistics commands and buttons."""
    application.add_handler(CommandHandler("thongke", show_stats))
    application.add_handler(MessageHandler(label_filter("thongke"), show_stats))
    application.add_handler(CommandHandler("chuabaocao", show_late))
    application.add_handler(MessageHandler(label_filter("chuabaocao"), show_late))
    application.add_handler(CommandHandler("xuatexcel", send_excel))
    application.add_handler(
        CallbackQueryHandler(show_detail, pattern=pattern(Action.STATS_DETAIL, r"\d+"))
    )
    application.add_handler(CallbackQueryHandler(show_late, pattern=pattern(Action.STATS_LATE)))
    application.add_handler(CallbackQueryHandler(send_excel, pattern=pattern(Action.STATS_XLSX)))
    application.add_handler(CallbackQueryHandler(nudge_late, pattern=pattern(Action.STATS_NUDGE)))
